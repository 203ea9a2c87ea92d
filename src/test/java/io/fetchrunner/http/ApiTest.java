package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every endpoint and every refusal, through a real bound server on a real store: the H2 file,
 * then a PostgreSQL database.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(TestStore.Kind.class)
class ApiTest {
  private static final int MAX_URLS = 50;
  private static final long MAX_REQUEST_BYTES = 64 * 1024;
  private static final long MAX_BODY_BYTES = 1024 * 1024;

  /** The store of this run of the class (injected; the lifecycle methods take it too). */
  @Parameter TestStore.Kind kind;

  @TempDir static Path dataDir;
  static TestStore store;
  static TargetServer target;
  /** Targets of single tests, closed at the end. */
  static final List<TargetServer> targets = new ArrayList<>();
  static FetchRunner service;
  static Api api;

  @BeforeParameterizedClassInvocation
  static void start(TestStore.Kind kind) {
    store = TestStore.open(kind, dataDir);
    target = new TargetServer();
    service = Services.start(dataDir, store.config() + """
        fetchrunner.jobs.max-urls-per-job = %d
        fetchrunner.http.max-request-bytes = %d
        fetchrunner.fetch.max-body-bytes = %d
        """.formatted(MAX_URLS, MAX_REQUEST_BYTES, MAX_BODY_BYTES));
    api = new Api(service.port());
    awaitHealthy();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (service != null) service.close();
    if (target != null) target.close();
    targets.forEach(TargetServer::close);
    if (store != null) store.close();
  }

  static void awaitHealthy() {
    for (int i = 0; i < 200; i++) {
      if (api.get("/health").status() == 200) return;
      Api.sleep(100);
    }
    throw new AssertionError("service never became healthy: " + api.get("/health"));
  }

  @Test
  void healthReportsNodeAndStore() {
    Api.Reply r = api.get("/health");
    assertEquals(200, r.status());
    assertEquals("UP", r.body().get("status").asText());
    assertEquals("UP", r.body().get("store").asText());
  }

  @Test
  void threeSlowUrlsOverlapInsteadOfAddingUp() {
    // A host of its own: the 503 of another test here slows its host down for a while.
    TargetServer own = new TargetServer();
    targets.add(own);
    List<String> urls = IntStream.range(0, 3)
        .mapToObj(i -> own.url("/delay/2000?seed=" + i)).toList();
    Api.Reply accepted = api.postJson(Map.of("name", "three sites", "urls", urls));
    assertEquals(202, accepted.status());
    String id = accepted.body().get("id").asText();
    assertEquals("/jobs/" + id, accepted.location());
    assertEquals("three sites", accepted.body().get("name").asText());
    assertEquals(3, accepted.body().get("total").asInt());

    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(30));
    assertEquals("COMPLETED", job.get("state").asText());
    assertEquals(3, job.get("succeeded").asInt());
    assertEquals(0, job.get("pending").asInt());
    long wall = job.get("wallMs").asLong();
    long sum = job.get("sumLatencyMs").asLong();
    assertTrue(sum >= 6000, "each URL took at least 2 s: sum " + sum);
    assertTrue(job.get("speedup").asDouble() > 2.0,
        "3 URLs of 2 s fetched concurrently: wall " + wall + " ms, sum " + sum + " ms");
    assertEquals((double) sum / wall, job.get("speedup").asDouble(), 0.01);
    Instant submitted = Instant.parse(job.get("submittedAt").asText());
    Instant finished = Instant.parse(job.get("finishedAt").asText());
    assertTrue(!finished.isBefore(submitted));
    JsonNode results = job.get("results");
    assertEquals(3, results.size());
    for (int i = 0; i < 3; i++) {
      JsonNode r = results.get(i);
      assertEquals(urls.get(i), r.get("url").asText(), "results keep submission order");
      assertEquals("SUCCEEDED", r.get("state").asText());
      assertEquals(200, r.get("httpStatus").asInt());
      assertEquals(2, r.get("bytes").asLong());
      assertTrue(r.get("latencyMs").asLong() >= 2000);
      assertEquals(1, r.get("attempts").asInt());
      assertTrue(r.get("error").isNull());
    }
  }

  @Test
  void everyKindOfFailureIsARecordedResult() {
    int closedPort = freePort();
    List<String> urls = List.of(
        target.url("/status/404"),
        target.url("/status/503"),
        target.url("/drop"),
        "http://127.0.0.1:" + closedPort + "/refused",
        target.url("/delay/10000?timeout"),
        target.url("/bytes/" + (MAX_BODY_BYTES + 1)),
        target.url("/bytes/" + MAX_BODY_BYTES),
        target.url("/status/204"));
    String id = api.submit(Map.of("urls", urls, "timeoutMs", 1000, "retries", 0));
    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(30));
    JsonNode r = job.get("results");
    assertEquals("COMPLETED", job.get("state").asText());
    assertEquals(2, job.get("succeeded").asInt());
    assertEquals(6, job.get("failed").asInt());

    assertFailed(r.get(0), 404, "HTTP 404");
    assertFailed(r.get(1), 503, "HTTP 503");
    // The drop may arrive before or after the response headers: either way a failure.
    assertEquals("FAILED", r.get(2).get("state").asText(), r.get(2)::toString);
    assertTrue(r.get(2).get("error").asText().toLowerCase().contains("connection"),
        r.get(2)::toString);
    assertTrue(r.get(2).get("bytes").asLong() < 100_000, "the drop cut the body short");
    assertFailed(r.get(3), null, "connection refused");
    assertFailed(r.get(4), null, "timeout after 1000 ms");
    assertFailed(r.get(5), 200, "body larger than " + MAX_BODY_BYTES);
    assertEquals("application/octet-stream", r.get(6).get("contentType").asText());
    assertEquals("SUCCEEDED", r.get(6).get("state").asText());
    assertEquals(MAX_BODY_BYTES, r.get(6).get("bytes").asLong());
    assertEquals("SUCCEEDED", r.get(7).get("state").asText());
    assertEquals(204, r.get(7).get("httpStatus").asInt());
  }

  private static void assertFailed(JsonNode result, Integer status, String errorPart) {
    assertEquals("FAILED", result.get("state").asText(), result::toString);
    if (status == null) {
      assertTrue(result.get("httpStatus").isNull(), result::toString);
    } else {
      assertEquals(status.intValue(), result.get("httpStatus").asInt(), result::toString);
    }
    assertTrue(result.get("error").asText().contains(errorPart),
        () -> "error should mention '" + errorPart + "': " + result);
    assertEquals(1, result.get("attempts").asInt());
  }

  @Test
  void plainTextListWithCommentsAndQueryOptions() {
    String body = "# my endpoints\n\n" + target.url("/status/200?text=1") + "\n  "
        + target.url("/status/200?text=2") + "  \n# done\n";
    Api.Reply r = api.post("/jobs?name=from+text&concurrency=1&timeoutMs=5000", "text/plain",
        body);
    assertEquals(202, r.status(), r::toString);
    assertEquals("from text", r.body().get("name").asText());
    JsonNode job = api.awaitFinished(r.body().get("id").asText(), Duration.ofSeconds(30));
    assertEquals(2, job.get("total").asInt());
    assertEquals(2, job.get("succeeded").asInt());
    assertEquals(target.url("/status/200?text=2"), job.get("results").get(1).get("url").asText());
  }

  @Test
  void cancelAbandonsInFlightAndPendingUrls() {
    List<String> urls = IntStream.range(0, 6)
        .mapToObj(i -> target.url("/delay/30000?cancel=" + i)).toList();
    String id = api.submit(Map.of("urls", urls, "concurrency", 2, "timeoutMs", 60000));
    // The two requests in flight may arrive in either order (each on its own connection).
    for (int i = 0; i < 100 && (target.hits("/delay/30000?cancel=0") == 0
        || target.hits("/delay/30000?cancel=1") == 0); i++) {
      Api.sleep(50);
    }
    assertEquals(1, target.hits("/delay/30000?cancel=0"), "two requests in flight");
    assertEquals(1, target.hits("/delay/30000?cancel=1"), "two requests in flight");

    Api.Reply cancelled = api.delete("/jobs/" + id);
    assertEquals(200, cancelled.status(), cancelled::toString);
    assertEquals("CANCELLED", cancelled.body().get("state").asText());
    assertEquals(6, cancelled.body().get("cancelled").asInt());
    assertEquals(0, cancelled.body().get("pending").asInt());

    JsonNode job = api.get("/jobs/" + id).body();
    assertEquals("CANCELLED", job.get("state").asText());
    assertNotNull(job.get("finishedAt").textValue());
    for (JsonNode r : job.get("results")) {
      assertEquals("CANCELLED", r.get("state").asText());
      assertTrue(r.get("error").isNull());
    }
    Api.sleep(300);
    assertEquals(0, target.hits("/delay/30000?cancel=2"), "pending URLs are never fetched");

    Api.Reply again = api.delete("/jobs/" + id);
    assertEquals(409, again.status());
    assertProblem(again, null);
  }

  @Test
  void historyIsNewestFirstAndPagesWithACursor() {
    List<String> mine = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      mine.add(api.submit(Map.of("name", "page-" + i, "urls", List.of(target.url("/delay/0")))));
    }
    mine.forEach(id -> api.awaitFinished(id, Duration.ofSeconds(30)));
    api.awaitReadSide(Duration.ofSeconds(30)); // the list comes from the read side

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Reply page = api.get("/jobs?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, page.status(), page::toString);
      JsonNode jobs = page.body().get("jobs");
      assertTrue(jobs.size() <= 2);
      for (JsonNode j : jobs) {
        seen.add(j.get("id").asText());
        assertNull(j.get("results"), "the list carries summaries only");
        assertNotNull(j.get("wallMs"));
        assertNotNull(j.get("sumLatencyMs"));
      }
      cursor = page.body().get("nextCursor").isNull() ? null
          : page.body().get("nextCursor").asText();
      pages++;
    } while (cursor != null && pages < 100);

    assertEquals(new HashSet<>(seen).size(), seen.size(), "no job on two pages");
    List<String> mineAsListed = seen.stream().filter(mine::contains).toList();
    List<String> newestFirst = new ArrayList<>(mine);
    Collections.reverse(newestFirst);
    assertEquals(newestFirst, mineAsListed);

    JsonNode first = api.get("/jobs?limit=1").body().get("jobs").get(0);
    assertEquals(mine.get(4), first.get("id").asText());
    assertEquals("COMPLETED", first.get("state").asText());
    assertEquals(1, first.get("succeeded").asInt());
  }

  @Test
  void unknownJobsAre404() {
    String unknown = UUID.randomUUID().toString();
    assertProblem(api.get("/jobs/" + unknown), 404, null);
    assertProblem(api.delete("/jobs/" + unknown), 404, null);
    assertProblem(api.get("/jobs/not-a-job-id"), 404, null);
    assertProblem(api.get("/nothing-here"), 404, null);
    assertProblem(api.post("/jobs/" + unknown, "application/json", "{}"), 405, null);
  }

  @Test
  void badSubmissionsAreRefusedNamingTheFieldAndStoreNothing() {
    String ok = target.url("/delay/0");
    // GET /jobs lags the submissions a little: settle it on a job of our own first.
    int before = api.awaitListed(api.submit(Map.of("urls", List.of(ok))));
    assertProblem(api.post("/jobs", "application/json", "{\"urls\": ["), 400, "body");
    assertProblem(api.post("/jobs", "application/json", "[]"), 400, "body");
    assertProblem(api.postJson(Map.of("name", "x")), 400, "urls");
    assertProblem(api.postJson(Map.of("urls", List.of())), 400, "urls");
    assertProblem(api.postJson(Map.of("urls", "http://x")), 400, "urls");
    assertProblem(api.postJson(Map.of("urls", List.of(ok, 42))), 400, "urls[1]");
    assertProblem(api.postJson(Map.of("urls", List.of(ok, ok, "http://exa mple.com/"))), 400,
        "urls[2]");
    assertProblem(api.postJson(Map.of("urls", List.of("ftp://example.com/f"))), 400, "urls[0]");
    assertProblem(api.postJson(Map.of("urls", List.of("/relative/path"))), 400, "urls[0]");
    assertProblem(api.postJson(Map.of("urls", List.of("http:///nohost"))), 400, "urls[0]");
    assertProblem(api.postJson(Map.of("urls", List.of(ok), "concurrency", 0)), 400,
        "concurrency");
    assertProblem(api.postJson(Map.of("urls", List.of(ok), "concurrency", 10001)), 400,
        "concurrency");
    assertProblem(api.postJson(Map.of("urls", List.of(ok), "concurrency", 1.5)), 400,
        "concurrency");
    assertProblem(api.postJson(Map.of("urls", List.of(ok), "timeoutMs", 0)), 400, "timeoutMs");
    assertProblem(api.postJson(Map.of("urls", List.of(ok), "timeoutMs", 600_001)), 400,
        "timeoutMs");
    assertProblem(api.postJson(Map.of("urls", List.of(ok), "name", 7)), 400, "name");
    assertProblem(api.postJson(Map.of("urls", List.of(ok), "concurency", 5)), 400, "concurency");
    assertProblem(api.postJson(Map.of("urls", Collections.nCopies(MAX_URLS + 1, ok))),
        400, "urls");
    assertProblem(api.post("/jobs", "text/plain", ok + "\nnot a url\n"), 400, "line 2");
    assertProblem(api.post("/jobs", "text/plain", "# nothing\n\n"), 400, "urls");
    assertProblem(api.post("/jobs?concurrency=many", "text/plain", ok), 400, "concurrency");
    assertProblem(api.post("/jobs?colour=red", "text/plain", ok), 400, "colour");
    assertProblem(api.post("/jobs", "application/xml", "<urls/>"), 415, "Content-Type");
    assertProblem(api.postOversized("/jobs", "text/plain", ok + "\n" + "#".repeat(
        (int) MAX_REQUEST_BYTES)), 413, "body");
    assertEquals(before, countJobs(), "no refused job was stored");
  }

  @Test
  void jsonThatMeansTwoThingsIsRefused() {
    String ok = target.url("/delay/0?json");
    String other = target.url("/delay/0?json-other");
    int before = api.awaitListed(api.submit(Map.of("urls", List.of(ok))));
    String job = "{\"urls\": [\"" + ok + "\"]}";
    Api.Reply second = api.post("/jobs", "application/json", job + "\n{\"urls\": [\"" + other
        + "\"]}");
    assertProblem(second, 400, "body");
    assertTrue(second.body().get("detail").asText().contains("after the JSON document (line 2,"
        + " column 1)"), second::toString);
    assertProblem(api.post("/jobs", "application/json", job + job), 400, "body");
    assertProblem(api.post("/jobs", "application/json", job + "]"), 400, "body");
    assertProblem(api.post("/jobs", "application/json", job + " trailing"), 400, "body");
    Api.Reply twice = api.post("/jobs", "application/json",
        "{\"urls\": [\"" + ok + "\"], \"urls\": [\"" + other + "\"]}");
    assertProblem(twice, 400, "body");
    assertTrue(twice.body().get("detail").asText().contains("Duplicate field 'urls' at urls"), twice::toString);
    Api.Reply nested = api.post("/jobs", "application/json", "{\"urls\": [{\"url\": \"" + ok
        + "\", \"url\": \"" + other + "\"}]}");
    assertProblem(nested, 400, "body");
    assertTrue(nested.body().get("detail").asText().contains("at urls[0].url"), nested::toString);
    assertProblem(api.post("/jobs", "application/json", "{\"urls\": [\"" + ok
        + "\"], \"headers\": {\"X-A\": \"1\", \"X-A\": \"2\"}}"), 400, "body");
    assertEquals(before, countJobs(), "no refused job was stored");
    assertEquals(0, target.hits("/delay/0?json-other"));

    Api.Reply withMark = api.post("/jobs", "application/json", "\uFEFF" + job);
    assertEquals(202, withMark.status(), "a UTF-8 byte-order mark is not content: " + withMark);
    Api.Reply textWithMark = api.post("/jobs", "text/plain", "\uFEFF" + ok + "\n");
    assertEquals(202, textWithMark.status(), textWithMark::toString);
  }

  private static int countJobs() {
    api.awaitReadSide(Duration.ofSeconds(30));
    return api.get("/jobs?limit=1000").body().get("jobs").size();
  }

  private static void assertProblem(Api.Reply r, int status, String field) {
    assertEquals(status, r.status(), r::toString);
    assertProblem(r, field);
  }

  private static void assertProblem(Api.Reply r, String field) {
    assertTrue(r.contentType().startsWith("application/problem+json"), r::toString);
    assertEquals(r.status(), r.body().get("status").asInt());
    assertTrue(r.body().get("detail").asText().length() > 5, r::toString);
    if (field != null) assertEquals(field, r.body().get("field").asText(), r::toString);
  }

  static int freePort() {
    try (var s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
