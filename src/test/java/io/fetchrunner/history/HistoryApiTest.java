package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
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
 * The read side's API on a real server, on H2 and on PostgreSQL: the list with its filters
 * and cursor, the results export, the statistics, and every refusal. Expected figures come
 * from the live view (GET /jobs/{id}), computed here, never from the read side's own code.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(TestStore.Kind.class)
class HistoryApiTest {
  /** The store of this run of the class (injected; the lifecycle methods take it too). */
  @Parameter TestStore.Kind kind;

  @TempDir static Path dataDir;
  static TestStore store;
  static TargetServer target;
  static FetchRunner service;
  static Api api;
  /** Per run of this class, so names never collide with jobs of other tests. */
  static final String RUN = UUID.randomUUID().toString().substring(0, 8);
  static String alpha1;
  static String alpha2;
  static String odd;
  static String cancelled;

  @BeforeParameterizedClassInvocation
  static void start(TestStore.Kind kind) {
    store = TestStore.open(kind, dataDir);
    target = new TargetServer();
    service = Services.start(dataDir, store.config());
    api = new Api(service.port());
    alpha1 = api.submit(Map.of("name", "alpha-1 " + RUN, "urls", List.of(
        target.url("/delay/20?a1=0"), target.url("/delay/40?a1=1"),
        target.url("/delay/60?a1=2"))));
    api.awaitFinished(alpha1, Duration.ofSeconds(30));
    alpha2 = api.submit(Map.of("name", "ALPHA-2 " + RUN, "urls", List.of(
        target.url("/status/500?a2=0"), target.url("/delay/10?a2=1"))));
    api.awaitFinished(alpha2, Duration.ofSeconds(30));
    odd = api.submit(Map.of("name", "odd_100% " + RUN, "urls",
        List.of(target.url("/bytes/10?odd=0"))));
    api.awaitFinished(odd, Duration.ofSeconds(30));
    cancelled = api.submit(Map.of("name", "slow " + RUN, "concurrency", 1, "urls",
        IntStream.range(0, 4).mapToObj(i -> target.url("/delay/30000?c=" + i)).toList()));
    assertEquals(200, api.delete("/jobs/" + cancelled).status());
    api.awaitReadSide(Duration.ofSeconds(30));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (service != null) service.close();
    if (target != null) target.close();
    if (store != null) store.close();
  }

  private static JsonNode live(String id) {
    return api.get("/jobs/" + id).body();
  }

  private static JsonNode liveSummary(String id) {
    return api.ownSummary(id);
  }

  private static List<String> ids(String query) {
    Api.Reply r = api.get("/jobs?" + query);
    assertEquals(200, r.status(), r::toString);
    List<String> out = new ArrayList<>();
    r.body().get("jobs").forEach(j -> out.add(j.get("id").asText()));
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void listRowsEqualTheLiveSummaries() {
    JsonNode jobs = api.get("/jobs?name=" + RUN).body().get("jobs");
    assertEquals(4, jobs.size());
    List<String> expectedOrder = List.of(cancelled, odd, alpha2, alpha1);
    for (int i = 0; i < 4; i++) {
      assertEquals(expectedOrder.get(i), jobs.get(i).get("id").asText(), "newest first");
      assertEquals(liveSummary(expectedOrder.get(i)), jobs.get(i));
    }
  }

  @Test
  void aFinishedJobsSummaryIsWhatTheJobItselfAnswers() {
    // ?results=false of a finished job is read from the read side: the same figures.
    for (String id : List.of(alpha1, alpha2, odd, cancelled)) {
      Api.Reply r = api.get("/jobs/" + id + "?results=false");
      assertEquals(200, r.status(), r::toString);
      assertEquals(liveSummary(id), r.body());
    }
  }

  @Test
  void filtersByStateNameAndTime() {
    assertEquals(List.of(cancelled), ids("state=CANCELLED&name=" + RUN));
    assertEquals(List.of(odd, alpha2, alpha1), ids("state=completed&name=" + RUN));
    assertEquals(List.of(), ids("state=RUNNING&name=" + RUN));
    // substring, any case; LIKE wildcards are plain characters
    assertEquals(List.of(alpha2, alpha1), ids("name=" + enc("Alpha-")));
    assertEquals(List.of(odd), ids("name=" + enc("_100% " + RUN)));
    assertEquals(List.of(), ids("name=" + enc("%" + RUN + "x")));

    Instant a2 = Instant.parse(liveSummary(alpha2).get("submittedAt").asText());
    // since is inclusive, until exclusive
    assertEquals(List.of(cancelled, odd, alpha2), ids("name=" + RUN + "&since=" + a2));
    assertEquals(List.of(alpha1), ids("name=" + RUN + "&until=" + a2));
    assertEquals(List.of(alpha2),
        ids("name=" + RUN + "&since=" + a2 + "&until=" + a2.plusNanos(1)));
    assertEquals(List.of(), ids("since=2100-01-01T00:00:00Z"));
    assertEquals(List.of(), ids("until=2000-01-01T00:00:00Z"));
    // an offset other than Z is an instant too
    assertEquals(List.of(alpha1), ids("name=" + RUN + "&until="
        + enc(a2.atOffset(ZoneOffset.ofHours(2)).toString())));
  }

  @Test
  void pagesWithACursorUntilNull() {
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Reply r = api.get("/jobs?limit=1&name=" + RUN
          + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, r.status(), r::toString);
      assertEquals(1, r.body().get("jobs").size());
      seen.add(r.body().get("jobs").get(0).get("id").asText());
      cursor = r.body().get("nextCursor").isNull() ? null : r.body().get("nextCursor").asText();
      pages++;
    } while (cursor != null && pages < 10);
    assertEquals(List.of(cancelled, odd, alpha2, alpha1), seen);

    // limit equal to the number of rows: one page, no next cursor
    Api.Reply all = api.get("/jobs?limit=4&name=" + RUN);
    assertEquals(4, all.body().get("jobs").size());
    assertTrue(all.body().get("nextCursor").isNull());
    // a cursor combines with filters
    Api.Reply first = api.get("/jobs?limit=1&state=COMPLETED&name=" + RUN);
    String next = first.body().get("nextCursor").asText();
    assertEquals(List.of(alpha2, alpha1), ids("state=COMPLETED&name=" + RUN + "&cursor=" + next));
    // the cursor of the oldest job: an empty last page
    Api.Reply oldest = api.get("/jobs?limit=3&name=" + RUN);
    String past = oldest.body().get("nextCursor").asText();
    Api.Reply end = api.get("/jobs?limit=1&name=" + RUN + "&cursor=" + past);
    assertEquals(alpha1, end.body().get("jobs").get(0).get("id").asText());
    assertTrue(end.body().get("nextCursor").isNull(), "no page after the oldest job");
    assertEquals(200, api.get("/jobs?limit=1000").status(), "the largest limit is accepted");
    Api.Reply empty = api.get("/jobs?name=nothing-like-this-" + RUN);
    assertEquals(0, empty.body().get("jobs").size());
    assertTrue(empty.body().get("nextCursor").isNull());
  }

  @Test
  void badParametersAre400NamingTheField() {
    assertProblem("/jobs?state=DONE", "state");
    assertProblem("/jobs?name=", "name");
    assertProblem("/jobs?name=" + "x".repeat(201), "name");
    assertProblem("/jobs?since=yesterday", "since");
    assertProblem("/jobs?until=2026-13-01T00:00:00Z", "until");
    assertProblem("/jobs?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until");
    assertProblem("/jobs?since=2026-01-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until");
    assertProblem("/jobs?cursor=not-a-cursor", "cursor");
    assertProblem("/jobs?cursor=" + Base64.getUrlEncoder().encodeToString(
        "1.x.y".getBytes(StandardCharsets.UTF_8)), "cursor");
    assertProblem("/jobs?limit=0", "limit");
    assertProblem("/jobs?limit=ten", "limit");
    assertProblem("/jobs?limit=1001", "limit");
    assertProblem("/jobs?colour=red", "colour");
    assertProblem("/stats?since=last-week", "since");
    assertProblem("/stats?state=COMPLETED", "state");
    assertProblem("/jobs/" + alpha1 + "/results?format=xml", "format");
    assertProblem("/jobs/" + alpha1 + "/results?limit=3", "limit");
    Api.Reply unknown = api.get("/jobs/" + UUID.randomUUID() + "/results");
    assertEquals(404, unknown.status());
    assertTrue(unknown.contentType().startsWith("application/problem+json"));
    assertEquals(404, api.get("/jobs/not-a-job/results?format=csv").status());
  }

  private static void assertProblem(String path, String field) {
    Api.Reply r = api.get(path);
    assertEquals(400, r.status(), r::toString);
    assertTrue(r.contentType().startsWith("application/problem+json"), r::toString);
    assertEquals(field, r.body().get("field").asText(), r::toString);
  }

  @Test
  void exportsEveryResultAsNdjsonAndCsv() throws Exception {
    for (String id : List.of(alpha1, alpha2, odd, cancelled)) {
      JsonNode results = live(id).get("results");
      Api.TextReply nd = api.getText("/jobs/" + id + "/results");
      assertEquals(200, nd.status());
      assertTrue(nd.contentType().startsWith("application/x-ndjson"), nd.contentType());
      String[] lines = nd.body().split("\n");
      assertEquals(results.size(), lines.length);
      for (int i = 0; i < lines.length; i++) {
        ObjectNode expected = ((ObjectNode) results.get(i)).deepCopy();
        // The history keeps no start times: they are the live view's, for its waterfall.
        expected.remove("startedAt");
        ObjectNode withIndex = Api.MAPPER.createObjectNode().put("index", i);
        withIndex.setAll(expected);
        assertEquals(withIndex, Api.MAPPER.readTree(lines[i]));
      }
      Api.TextReply csv = api.getText("/jobs/" + id + "/results?format=csv");
      assertEquals(200, csv.status());
      assertTrue(csv.contentType().startsWith("text/csv"), csv.contentType());
      String[] rows = csv.body().split("\n");
      assertEquals("index,url,state,httpStatus,bytes,latencyMs,attempts,error,contentType,"
          + "sha256,redirects,earlierAttempts,errorKind,etag,lastModified,notModified", rows[0]);
      assertEquals(results.size() + 1, rows.length);
      for (int i = 0; i < results.size(); i++) {
        JsonNode r = results.get(i);
        String error = r.get("error").isNull() ? "" : r.get("error").asText();
        if (error.contains(",") || error.contains("\"")) {
          error = "\"" + error.replace("\"", "\"\"") + "\"";
        }
        String expected = i + "," + r.get("url").asText() + "," + r.get("state").asText() + ","
            + text(r.get("httpStatus")) + "," + text(r.get("bytes")) + ","
            + text(r.get("latencyMs")) + "," + r.get("attempts").asInt() + "," + error + ","
            + text(r.get("contentType")) + "," + text(r.get("sha256")) + ","
            + String.join(" ", Api.MAPPER.convertValue(r.get("redirects"), List.class)) + ","
            + (r.get("earlierAttempts").isEmpty() ? ""
                : csvQuote(r.get("earlierAttempts").toString())) + ","
            + text(r.get("errorKind")) + "," + text(r.get("etag")) + ","
            + text(r.get("lastModified")) + "," + text(r.get("notModified"));
        assertEquals(expected, rows[i + 1]);
      }
    }
  }

  private static String csvQuote(String v) {
    return v.contains(",") || v.contains("\"") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? "" : n.asText();
  }

  @Test
  void statsOfAWindowMatchTheLiveFigures() {
    List<JsonNode> jobs = List.of(live(alpha1), live(alpha2));
    Instant since = Instant.parse(jobs.get(0).get("submittedAt").asText());
    Instant until = Instant.parse(jobs.get(1).get("submittedAt").asText()).plusNanos(1);
    JsonNode s = api.get("/stats?since=" + since + "&until=" + until + "&name=" + RUN).body();
    Expected.stats(jobs).assertMatches(s);
    assertEquals(since.toString(), s.get("since").asText());

    JsonNode all = api.get("/stats?name=" + RUN).body();
    Expected.stats(List.of(live(alpha1), live(alpha2), live(odd), live(cancelled)))
        .assertMatches(all);
    assertEquals(1, all.get("jobs").get("cancelled").asInt());

    JsonNode none = api.get("/stats?since=2100-01-01T00:00:00Z").body();
    assertEquals(0, none.get("jobs").get("total").asInt());
    assertNull(none.get("speedup").textValue());
    assertTrue(none.get("latencyMs").get("p50").isNull());
    assertEquals(0, none.get("slowestHosts").size());
  }

  /** The time from a job's completion in GET /jobs/{id} to its listing as COMPLETED. */
  @Test
  void measuresTheReadSideLag() {
    List<Long> lags = new ArrayList<>();
    String name = "lag " + UUID.randomUUID();
    for (int i = 0; i < 20; i++) {
      String id = api.submit(Map.of("name", name, "urls",
          List.of(target.url("/delay/5?lag=" + i))));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!liveSummary(id).get("state").asText().equals("COMPLETED")) {
        assertTrue(System.nanoTime() < deadline, "job did not complete");
        Api.sleep(5);
      }
      long completedSeen = System.nanoTime();
      while (true) {
        JsonNode rows = api.get("/jobs?limit=1&name=" + enc(name)).body().get("jobs");
        if (rows.size() == 1 && rows.get(0).get("id").asText().equals(id)
            && rows.get(0).get("state").asText().equals("COMPLETED")) {
          break;
        }
        assertTrue(System.nanoTime() < deadline, "job never listed as COMPLETED");
        Api.sleep(5);
      }
      lags.add((System.nanoTime() - completedSeen) / 1_000_000);
    }
    lags.sort(null);
    System.out.println("read-side lag over " + lags.size() + " jobs (ms): min " + lags.get(0)
        + ", median " + lags.get(lags.size() / 2) + ", max " + lags.get(lags.size() - 1)
        + " " + lags);
  }
}
