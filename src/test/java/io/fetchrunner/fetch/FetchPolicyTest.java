package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fetch policy against a target that misbehaves on purpose: timeouts, retries, redirects,
 * body limits, request options, per-host limits and cancellation, through the real service.
 */
class FetchPolicyTest {
  private static final int PER_HOST = 50;

  @TempDir static Path dataDir;
  static TargetServer target;
  static FetchRunner service;
  static Api api;

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = Services.start(dataDir, """
        fetchrunner.fetch.per-host-concurrency = %d
        fetchrunner.fetch.retry-backoff-min = 50ms
        fetchrunner.fetch.retry-backoff-max = 200ms
        fetchrunner.fetch.max-retry-after = 5s
        """.formatted(PER_HOST));
    api = new Api(service.port());
  }

  @AfterAll
  static void stop() {
    service.close();
    target.close();
  }

  /** Runs a one-URL job with the given options and returns its only result. */
  private static JsonNode fetchOne(Object url, Map<String, Object> options) {
    var body = new HashMap<String, Object>(options);
    body.put("urls", List.of(url));
    String id = api.submit(body);
    return api.awaitFinished(id, Duration.ofSeconds(60)).get("results").get(0);
  }

  private static void assertState(String state, JsonNode result) {
    assertEquals(state, result.get("state").asText(), result::toString);
  }

  private static void assertError(String part, JsonNode result) {
    assertTrue(result.get("error").asText().contains(part),
        () -> "error should mention '" + part + "': " + result);
  }

  @Test
  void aStalledBodyTimesOut() {
    JsonNode r = fetchOne(target.url("/trickle/100?every=100"),
        Map.of("timeoutMs", 500, "retries", 0));
    assertState("FAILED", r);
    assertError("timeout after 500 ms", r);
  }

  @Test
  void transientFailuresAreRetriedAndEveryAttemptIsRecorded() {
    JsonNode dropped = fetchOne(target.url("/drop?retried"), Map.of("retries", 2));
    assertState("FAILED", dropped);
    assertEquals(3, dropped.get("attempts").asInt());
    assertEquals(2, dropped.get("earlierAttempts").size());
    assertEquals(3, target.hits("/drop?retried"));

    JsonNode reset = fetchOne(target.resetUrl(), Map.of("retries", 1));
    assertState("FAILED", reset);
    assertEquals(2, reset.get("attempts").asInt());

    JsonNode flaky = fetchOne(target.url("/flaky/2/503?id=a"), Map.of("retries", 2));
    assertState("SUCCEEDED", flaky);
    assertEquals(3, flaky.get("attempts").asInt());
    assertEquals(503, flaky.get("earlierAttempts").get(0).get("httpStatus").asInt());
    assertEquals(3, target.hits("/flaky/2/503?id=a"));
  }

  @Test
  void retryAfterIsObeyed() {
    String path = "/flaky/1/429?retry-after=1&id=b";
    JsonNode r = fetchOne(target.url(path), Map.of("retries", 1));
    assertState("SUCCEEDED", r);
    assertEquals(2, r.get("attempts").asInt());
    List<Long> times = target.hitTimes(path);
    long gapMs = (times.get(1) - times.get(0)) / 1_000_000;
    assertTrue(gapMs >= 1000, "the retry waited for Retry-After: 1, gap " + gapMs + " ms");

    // A host of its own: a 503 with Retry-After blocks its host (back-off, at most 5 min).
    JsonNode tooLong;
    try (TargetServer own = new TargetServer()) {
      tooLong = fetchOne(own.url("/flaky/1/503?retry-after=3600&id=c"), Map.of("retries", 3));
    }
    assertState("FAILED", tooLong);
    assertEquals(1, tooLong.get("attempts").asInt());
    assertError("max-retry-after", tooLong);
  }

  @Test
  void clientErrorsAreFinal() {
    JsonNode r = fetchOne(target.url("/status/404?final"), Map.of("retries", 3));
    assertState("FAILED", r);
    assertEquals(1, r.get("attempts").asInt());
    assertEquals(1, target.hits("/status/404?final"));
  }

  @Test
  void redirectsAreFollowedWithTheChainRecorded() {
    JsonNode r = fetchOne(target.url("/redirect/3"), Map.of());
    assertState("SUCCEEDED", r);
    assertEquals(List.of(target.url("/redirect/2"), target.url("/redirect/1"),
            target.url("/redirect/0")),
        Api.MAPPER.convertValue(r.get("redirects"), List.class));
    assertEquals(1, r.get("attempts").asInt());

    JsonNode loop = fetchOne(target.url("/loop/a"), Map.of());
    assertState("FAILED", loop);
    assertError("redirect loop", loop);

    JsonNode tooMany = fetchOne(target.url("/redirect/8"), Map.of("maxRedirects", 2));
    assertState("FAILED", tooMany);
    assertError("more than 2 redirects", tooMany);
    assertEquals(302, tooMany.get("httpStatus").asInt());
  }

  @Test
  void aRedirectToADeniedAddressIsNotFollowed() {
    JsonNode r = fetchOne(target.url("/redirect-to?url=http://169.254.169.254/latest/meta-data"),
        Map.of("retries", 2));
    assertState("FAILED", r);
    assertError("target denied", r);
    assertError("169.254.0.0/16", r);
    assertEquals(1, r.get("attempts").asInt(), "a denied target is not retried");
  }

  @Test
  void bodiesAreCappedCountedAndOptionallyHashed() throws Exception {
    JsonNode over = fetchOne(target.url("/bytes/5000"), Map.of("maxBodyBytes", 1000));
    assertState("FAILED", over);
    assertError("body larger than 1000 bytes", over);

    JsonNode hashed = fetchOne(target.url("/bytes/1000"),
        Map.of("maxBodyBytes", 1000, "sha256", true));
    assertState("SUCCEEDED", hashed);
    assertEquals(1000, hashed.get("bytes").asLong());
    assertEquals("application/octet-stream", hashed.get("contentType").asText());
    String expected = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(new byte[1000]));
    assertEquals(expected, hashed.get("sha256").asText());

    JsonNode plain = fetchOne(target.url("/bytes/10"), Map.of());
    assertTrue(plain.get("sha256").isNull(), "no hash unless asked");
  }

  @Test
  void perUrlMethodHeadersAndBodyAreSent() {
    Map<String, Object> post = Map.of("url", target.url("/echo?post"), "method", "POST",
        "headers", Map.of("X-Trace", "url", "Content-Type", "application/json"),
        "body", "{\"q\":1}");
    Map<String, Object> head = Map.of("url", target.url("/echo?head"), "method", "HEAD");
    String id = api.submit(Map.of("urls", List.of(post, head, target.url("/echo?get")),
        "headers", Map.of("X-Trace", "job", "User-Agent", "my-agent/1")));
    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(30));
    assertEquals(3, job.get("succeeded").asInt(), job::toString);

    var seenPost = target.lastRequest("/echo?post");
    assertEquals("POST", seenPost.method());
    assertEquals("{\"q\":1}", seenPost.body());
    assertEquals("url", seenPost.headers().get("X-Trace"), "the URL's header wins");
    assertTrue(seenPost.headers().get("Content-Type").startsWith("application/json"));
    assertEquals("my-agent/1", seenPost.headers().get("User-Agent"));
    assertEquals("HEAD", target.lastRequest("/echo?head").method());
    assertEquals(0, job.get("results").get(1).get("bytes").asLong());
    var seenGet = target.lastRequest("/echo?get");
    assertEquals("GET", seenGet.method());
    assertEquals("job", seenGet.headers().get("X-Trace"));
  }

  @Test
  void thousandsOfUrlsOnOneHostStayWithinThePerHostLimit() {
    target.resetPeak();
    List<String> urls = IntStream.range(0, 2000)
        .mapToObj(i -> target.url("/delay/20?many=" + i)).toList();
    String id = api.submit(Map.of("urls", urls, "concurrency", 2000, "retries", 0));
    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(120));
    assertEquals(2000, job.get("succeeded").asInt(), () -> "no request refused: "
        + job.get("results").findValues("error").stream().filter(e -> !e.isNull()).findFirst());
    assertTrue(target.peakConnections() <= PER_HOST,
        "the target saw " + target.peakConnections() + " connections at once; limit "
            + PER_HOST);
  }

  @Test
  void cancellingClosesTheConnectionsOfRequestsInFlight() {
    List<String> urls = IntStream.range(0, 3)
        .mapToObj(i -> target.url("/trickle/1000?every=50&cancel=" + i)).toList();
    String id = api.submit(Map.of("urls", urls, "timeoutMs", 120_000));
    for (int i = 0; i < 100 && target.hits("/trickle/1000?every=50&cancel=2") == 0; i++) {
      Api.sleep(50);
    }
    Api.sleep(200); // all three bodies are streaming now
    int during = target.openConnections();
    assertEquals(200, api.delete("/jobs/" + id).status());
    int open = Integer.MAX_VALUE;
    for (int i = 0; i < 100; i++) {
      open = target.openConnections();
      if (open <= during - 3) break;
      Api.sleep(50);
    }
    assertTrue(open <= during - 3,
        "the 3 cancelled requests' connections are closed: " + during + " -> " + open);
  }
}
