package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pass/fail thresholds on a real service: the verdict and its checks in the live view, the same
 * in the history after a restart, GET /jobs and /stats filtered by verdict, the verdict-failed
 * webhook, and thresholds of the wrong shape refused with nothing stored.
 */
class ThresholdsTest {
  private static final String CONFIG = "fetchrunner.notify.secret = \"thresholds-test\"\n";
  @TempDir static Path dir;
  static TargetServer target;
  static FetchRunner service;
  static Api api;
  static final String RUN = UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = Services.start(dir, CONFIG);
    api = new Api(service.port());
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    if (target != null) target.close();
  }

  /** Four fast URLs and one slow (400 ms), all at once. */
  private static List<String> fourFastOneSlow(String tag) {
    List<String> urls = new ArrayList<>(IntStream.range(0, 4)
        .mapToObj(i -> target.url("/delay/0?" + tag + "=" + i)).toList());
    urls.add(target.url("/delay/400?" + tag + "=slow"));
    return urls;
  }

  private static Set<String> names(JsonNode jobs) {
    Set<String> names = new TreeSet<>();
    jobs.forEach(j -> names.add(j.get("name").asText()));
    return names;
  }

  @Test
  void aBrokenP95FailsTheJobNamingItAndTheHistoryAgreesAfterARestart() {
    String failing = api.submit(Map.of("name", "slow-" + RUN, "concurrency", 5,
        "urls", fourFastOneSlow("slow" + RUN),
        "thresholds", Map.of("p95LatencyMs", 200, "failureRate", 0.5, "speedupAtLeast", 0.5),
        "notify", Map.of("url", target.url("/echo?hook=" + RUN),
            "events", List.of("verdict-failed"))));
    String passing = api.submit(Map.of("name", "fast-" + RUN, "concurrency", 5,
        "urls", fourFastOneSlow("fast" + RUN),
        "thresholds", Map.of("p95LatencyMs", 60_000, "failureRate", 0)));
    String rate = api.submit(Map.of("name", "rate-" + RUN, "retries", 0,
        "urls", List.of(target.url("/status/500?rate=" + RUN), target.url("/delay/0?rate=" + RUN)),
        "thresholds", Map.of("failureRate", 0.2)));
    String plain = api.submit(Map.of("name", "plain-" + RUN,
        "urls", List.of(target.url("/delay/0?plain=" + RUN))));

    JsonNode slow = api.awaitFinished(failing, Duration.ofSeconds(30));
    assertEquals("FAILED", slow.get("verdict").asText());
    JsonNode checks = slow.get("checks");
    assertEquals(3, checks.size(), checks.toString());
    assertEquals("p95LatencyMs", checks.get(0).get("threshold").asText());
    assertEquals(200, checks.get(0).get("limit").asLong());
    assertTrue(checks.get(0).get("measured").asLong() >= 400, checks.toString());
    assertEquals(false, checks.get(0).get("passed").asBoolean());
    assertEquals(0.0, checks.get(1).get("measured").asDouble(), "no URL failed");
    assertTrue(checks.get(1).get("passed").asBoolean());
    assertEquals("speedupAtLeast", checks.get(2).get("threshold").asText());
    assertEquals(slow.get("speedup").asDouble(), checks.get(2).get("measured").asDouble());

    JsonNode fast = api.awaitFinished(passing, Duration.ofSeconds(30));
    assertEquals("PASSED", fast.get("verdict").asText(), fast.toString());
    JsonNode rated = api.awaitFinished(rate, Duration.ofSeconds(30));
    assertEquals("FAILED", rated.get("verdict").asText());
    assertEquals(0.5, rated.get("checks").get(0).get("measured").asDouble());
    JsonNode none = api.awaitFinished(plain, Duration.ofSeconds(30));
    assertTrue(none.get("verdict").isNull() && none.get("checks").isNull(), none.toString());

    // The webhook asked for verdict-failed got it, with the verdict in the job's summary.
    JsonNode hook = awaitHook("/echo?hook=" + RUN);
    assertEquals("verdict-failed", hook.get("event").asText());
    assertEquals(failing, hook.get("job").get("id").asText());
    assertEquals(slow.get("checks"), hook.get("job").get("checks"));

    // The history: the same verdicts and checks, filtered by verdict in GET /jobs and /stats.
    api.awaitReadSide(Duration.ofSeconds(30));
    JsonNode failed = api.get("/jobs?verdict=failed&name=" + RUN).body().get("jobs");
    assertEquals(Set.of("slow-" + RUN, "rate-" + RUN), names(failed));
    JsonNode passed = api.get("/jobs?verdict=PASSED&name=" + RUN).body().get("jobs");
    assertEquals(Set.of("fast-" + RUN), names(passed));
    for (JsonNode j : failed) {
      JsonNode live = api.get("/jobs/" + j.get("id").asText()).body();
      assertEquals(live.get("checks"), j.get("checks"), "history and live view agree");
    }
    assertEquals(2, api.get("/stats?verdict=FAILED&name=" + RUN).body().get("jobs")
        .get("total").asInt());
    assertEquals(400, api.get("/jobs?verdict=MAYBE").status());
    assertEquals("verdict", api.get("/stats?verdict=1").body().get("field").asText());

    // After a restart the job judges itself again from its journal: the same verdict.
    service.close();
    service = Services.start(dir, CONFIG);
    api = new Api(service.port());
    JsonNode again = api.get("/jobs/" + failing).body();
    assertEquals(slow.get("verdict"), again.get("verdict"));
    assertEquals(slow.get("checks"), again.get("checks"));
  }

  private static JsonNode awaitHook(String path) {
    for (int i = 0; i < 300; i++) {
      TargetServer.Seen seen = target.lastRequest(path);
      if (seen != null) {
        try {
          return Api.MAPPER.readTree(seen.body());
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
      Api.sleep(50);
    }
    throw new AssertionError("no webhook at " + path);
  }

  @Test
  void thresholdsOfTheWrongShapeAre400NamingTheFieldAndNothingIsStored() {
    String name = "bad-" + RUN;
    String url = target.url("/delay/0?bad=" + RUN);
    Map<Object, String> cases = Map.of(
        Map.of("p95LatencyMs", "fast"), "thresholds.p95LatencyMs",
        Map.of("p96LatencyMs", 100), "thresholds.p96LatencyMs",
        Map.of("failureRate", 1.5), "thresholds.failureRate",
        Map.of("wallMs", -1), "thresholds.wallMs",
        Map.of("speedupAtLeast", 0), "thresholds.speedupAtLeast",
        Map.of(), "thresholds",
        List.of(100), "thresholds");
    cases.forEach((thresholds, field) -> {
      Api.Reply r = api.postJson(Map.of("name", name, "urls", List.of(url),
          "thresholds", thresholds));
      assertEquals(400, r.status(), thresholds + ": " + r);
      assertEquals(field, r.body().get("field").asText(), thresholds + ": " + r);
    });
    api.awaitReadSide(Duration.ofSeconds(30));
    assertEquals(0, api.get("/jobs?name=" + name).body().get("jobs").size());
    assertEquals(0, target.hits("/delay/0?bad=" + RUN));
  }
}
