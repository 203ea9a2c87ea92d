package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.AppConfig;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.StartupException;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guards: API token, target allow/deny lists, Idempotency-Key. Every refused request
 * must leave the stored jobs as they were.
 */
class GuardTest {
  private static final String TOKEN = "s3cret-token";

  @TempDir static Path dataDir;
  static TargetServer target;
  static FetchRunner service;
  static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = Services.start(dataDir, """
        fetchrunner.http.api-token = "%s"
        fetchrunner.fetch.targets.deny += "*.blocked.test"
        fetchrunner.fetch.targets.private = deny
        fetchrunner.fetch.targets.allow = ["127.0.0.0/8"]
        """.formatted(TOKEN));
  }

  @AfterAll
  static void stop() {
    service.close();
    target.close();
  }

  private static Api.Reply call(String method, String path, String token, String body,
      Map<String, String> headers) {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null && !headers.containsKey("Content-Type")) {
      b.header("Content-Type", "application/json");
    }
    if (token != null) b.header("Authorization", "Bearer " + token);
    headers.forEach(b::header);
    try {
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json = r.body().isEmpty() ? null : Api.MAPPER.readTree(r.body());
      return new Api.Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
          r.headers().firstValue("WWW-Authenticate").orElse(null), json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Api.Reply submit(String token, Object body, Map<String, String> headers) {
    try {
      return call("POST", "/jobs", token, Api.MAPPER.writeValueAsString(body), headers);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Submits a job of its own and waits until GET /jobs (eventually consistent) lists it:
   * everything submitted before is listed by then. Returns how many jobs are listed.
   */
  private static int storedJobs() {
    Api.Reply r = submit(TOKEN, Map.of("urls", List.of(target.url("/delay/0?settle"))),
        Map.of());
    assertEquals(202, r.status(), r::toString);
    String id = r.body().get("id").asText();
    for (int i = 0; i < 300; i++) {
      JsonNode jobs = call("GET", "/jobs?limit=1000", TOKEN, null, Map.of()).body().get("jobs");
      for (JsonNode j : jobs) {
        if (j.get("id").asText().equals(id)) return jobs.size();
      }
      Api.sleep(50);
    }
    throw new AssertionError("job " + id + " never listed");
  }

  private static void assertRefused(int status, String field, Api.Reply r) {
    assertEquals(status, r.status(), r::toString);
    assertTrue(r.contentType().startsWith("application/problem+json"), r::toString);
    if (field != null) assertEquals(field, r.body().get("field").asText(), r::toString);
  }

  @Test
  void everyCallButHealthNeedsTheToken() {
    int before = storedJobs();
    var job = Map.of("urls", List.of(target.url("/delay/0?token")));
    Api.Reply none = submit(null, job, Map.of());
    assertRefused(401, "Authorization", none);
    assertEquals("Bearer realm=\"fetchrunner\"", none.location(), "WWW-Authenticate");
    assertRefused(401, "Authorization", submit("wrong", job, Map.of()));
    assertRefused(401, "Authorization", call("GET", "/jobs", null, null, Map.of()));
    assertRefused(401, "Authorization", call("GET", "/jobs/x", "wrong", null, Map.of()));
    assertEquals(200, call("GET", "/health", null, null, Map.of()).status());
    assertEquals(before + 1, storedJobs(), "refused submissions store nothing");
    assertEquals(0, target.hits("/delay/0?token"));

    assertEquals(202, submit(TOKEN, job, Map.of()).status());
    assertEquals(before + 3, storedJobs());
  }

  @Test
  void deniedTargetsAreRefusedAtSubmissionAndStoreNothing() {
    int before = storedJobs();
    String ok = target.url("/delay/0?deny");
    assertRefused(400, "urls[1]", submit(TOKEN,
        Map.of("urls", List.of(ok, "http://169.254.169.254/latest/meta-data/")), Map.of()));
    assertRefused(400, "urls[0]", submit(TOKEN,
        Map.of("urls", List.of("http://api.blocked.test/")), Map.of()));
    assertRefused(400, "urls[0]", submit(TOKEN,
        Map.of("urls", List.of("http://10.0.0.1/")), Map.of()));
    assertEquals(before + 1, storedJobs());
    assertEquals(0, target.hits("/delay/0?deny"));
  }

  /**
   * Hosts that parsers read as different addresses (Java reads 0177.0.0.1 as 177.0.0.1, curl
   * as 127.0.0.1). Only 127.0.0.0/8 is allowed here, so a wrong reading is denied and nothing
   * leaves the machine.
   */
  @Test
  void hostFormsThatParsersReadDifferentlyAreRefusedAtSubmission() {
    int before = storedJobs();
    for (String host : List.of("0177.0.0.1", "0x7f.1", "0x7f000001", "2130706433", "127.1",
        "127.0.1")) {
      String url = "http://" + host + ":" + target.port() + "/delay/0?form";
      Api.Reply r = submit(TOKEN, Map.of("urls", List.of(target.url("/delay/0?form"), url)),
          Map.of());
      assertRefused(400, "urls[1]", r);
      String detail = r.body().get("detail").asText();
      assertTrue(detail.contains(url) && detail.contains("IPv4"), detail);
      Api.Reply text = call("POST", "/jobs", TOKEN, url + "\n",
          Map.of("Content-Type", "text/plain"));
      assertRefused(400, "line 1", text);
    }
    assertEquals(before + 1, storedJobs());
    assertEquals(0, target.hits("/delay/0?form"));
  }

  @Test
  void aRedirectToSuchAHostFormFailsTheUrl() {
    List<String> urls = new ArrayList<>();
    for (String host : List.of("127.1", "2130706433")) {
      String to = "http://" + host + ":" + target.port() + "/delay/0?redirected";
      urls.add(target.url("/redirect-to?url=" + URLEncoder.encode(to,
          StandardCharsets.UTF_8)));
    }
    Api.Reply accepted = submit(TOKEN, Map.of("urls", urls, "retries", 0), Map.of());
    assertEquals(202, accepted.status(), accepted::toString);
    JsonNode job = awaitFinished(accepted.body().get("id").asText());
    for (JsonNode result : job.get("results")) {
      assertEquals("FAILED", result.get("state").asText(), result::toString);
      String error = result.get("error").asText();
      assertTrue(error.startsWith("target denied: ") && error.contains("IPv4"), error);
    }
    assertEquals(0, target.hits("/delay/0?redirected"));
  }

  private static JsonNode awaitFinished(String id) {
    for (int i = 0; i < 300; i++) {
      JsonNode job = call("GET", "/jobs/" + id, TOKEN, null, Map.of()).body();
      if (!job.get("state").asText().equals("RUNNING")) return job;
      Api.sleep(100);
    }
    throw new AssertionError("job " + id + " did not finish");
  }

  @Test
  void namesAreCheckedAgainstTheAddressesTheyResolveTo(@TempDir Path otherDir) {
    // Private targets denied, no allow list: "localhost" passes the name check at
    // submission, then resolves to loopback and is refused before any request is sent.
    try (FetchRunner strict = Services.start(otherDir,
        "fetchrunner.fetch.targets.private = deny")) {
      Api api = new Api(strict.port());
      Api.Reply literal = api.postJson(Map.of("urls", List.of(target.url("/delay/0?dns"))));
      assertRefused(400, "urls[0]", literal);
      assertTrue(literal.body().get("detail").asText().contains("loopback or private"));

      String id = api.submit(Map.of("urls",
          List.of("http://localhost:" + target.port() + "/delay/0?dns"), "retries", 2));
      JsonNode result = api.awaitFinished(id, Duration.ofSeconds(30)).get("results").get(0);
      assertEquals("FAILED", result.get("state").asText(), result::toString);
      assertTrue(result.get("error").asText().contains("target denied"), result::toString);
      assertEquals(1, result.get("attempts").asInt(), "a denied target is not retried");
      assertEquals(0, target.hits("/delay/0?dns"));
    }
  }

  @Test
  void aRepeatedIdempotencyKeyReturnsTheSameJob() {
    int before = storedJobs();
    var job = Map.of("urls", List.of(target.url("/delay/0?idem")), "name", "idem");
    Api.Reply first = submit(TOKEN, job, Map.of("Idempotency-Key", "run-42"));
    assertEquals(202, first.status(), first::toString);
    Api.Reply again = submit(TOKEN, job, Map.of("Idempotency-Key", "run-42"));
    assertEquals(200, again.status(), again::toString);
    assertEquals(first.body().get("id"), again.body().get("id"));
    assertEquals(before + 2, storedJobs());

    var other = Map.of("urls", List.of(target.url("/delay/0?idem-other")));
    assertRefused(422, "Idempotency-Key", submit(TOKEN, other,
        Map.of("Idempotency-Key", "run-42")));
    assertRefused(400, "Idempotency-Key", submit(TOKEN, other,
        Map.of("Idempotency-Key", "x".repeat(300))));
    assertEquals(before + 3, storedJobs());
    assertEquals(0, target.hits("/delay/0?idem-other"));
  }

  @Test
  void listeningBeyondLoopbackWithoutATokenIsRefused(@TempDir Path otherDir) {
    var e = assertThrows(StartupException.class, () -> FetchRunner.start(AppConfig.load(
        ConfigFactory.parseString("fetchrunner.http.host = \"0.0.0.0\"\n"
            + "fetchrunner.http.port = 0\n"
            + "fetchrunner.data-dir = \"" + otherDir + "\""))));
    assertTrue(e.getMessage().contains("fetchrunner.http.api-token"), e.getMessage());
  }
}
