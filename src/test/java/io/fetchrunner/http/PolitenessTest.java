package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Await;
import io.fetchrunner.support.Scrape;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TargetServer.Arrival;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-host politeness on a real service, measured at real targets on 127.0.0.1 (each port is a
 * host): a job's rate and minimum delay per host, domain grouping, the service-wide per-host
 * limit across two jobs, a job's narrower one, the back-off of a host answering 429 with
 * Retry-After (no requests until then, the other host carries on, GET /hosts says so, it
 * recovers), host-unavailable fail-fast and its opt-out, and bad options refused. Lower
 * bounds on gaps are safe on a loaded machine (load only widens them); the rate's upper bound
 * is what pacing guarantees.
 */
class PolitenessTest {
  @TempDir static Path dir;
  static FetchRunner service;
  static Api api;
  static final List<TargetServer> targets = new ArrayList<>();

  /** Service-wide: three requests in flight per host; a quick back-off cycle. */
  static final int PER_HOST = 3;

  @BeforeAll
  static void start() {
    service = Services.start(dir, String.join("\n",
        "fetchrunner.fetch.per-host-concurrency = " + PER_HOST,
        "fetchrunner.fetch.backoff.recover-after = 1s",
        "fetchrunner.fetch.backoff.recover-steps = 2",
        "fetchrunner.fetch.host-unavailable.after = 3",
        "fetchrunner.fetch.host-unavailable.retry-after = 60s"));
    api = new Api(service.port());
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    targets.forEach(TargetServer::close);
  }

  private static TargetServer target() {
    TargetServer t = new TargetServer();
    targets.add(t);
    return t;
  }

  private static String run() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private static List<String> urls(TargetServer t, String path, int n, String run) {
    return IntStream.range(0, n)
        .mapToObj(i -> t.url(path + (path.contains("?") ? "&" : "?") + "r=" + run + "&i=" + i))
        .toList();
  }

  private static List<Long> times(TargetServer t, String run) {
    return t.arrivals().stream().filter(a -> a.pathAndQuery().contains("r=" + run))
        .map(Arrival::nanos).sorted().toList();
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }

  @Test
  void aJobsRatePerHostHoldsWithinTenPercentOverTenSeconds() {
    TargetServer t = target();
    String run = run();
    double rate = 10;
    String id = api.submit(Map.of("urls", urls(t, "/delay/0", 101, run), "concurrency", 50,
        "perHost", Map.of("ratePerSecond", rate)));
    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(60));
    assertEquals(101, job.get("succeeded").asInt(), () -> kinds(job).toString());
    List<Long> at = times(t, run);
    assertEquals(101, at.size());
    double seconds = (at.get(100) - at.get(0)) / 1e9;
    double measured = 100 / seconds;
    assertTrue(Math.abs(measured - rate) <= rate * 0.10,
        "100 intervals in " + seconds + " s: " + measured + " requests/s, asked " + rate);
    // Never a burst: in any second from a request on, at most rate + 1 requests.
    for (int i = 0; i < at.size(); i++) {
      int j = i;
      while (j < at.size() && at.get(j) - at.get(i) < 1_000_000_000L) j++;
      assertTrue(j - i <= rate + 1, (j - i) + " requests within 1 s from request " + i);
    }
  }

  @Test
  void minDelayAndDomainGroupingSpaceTheJobsRequestsToOneHost() {
    TargetServer a = target();
    TargetServer b = target();
    String run = run();
    // Warm: the first request a fresh service sends takes tens of ms longer on its way (code
    // loaded, connection flow built) than the next, which would shorten the first gap as the
    // targets see it; the pacing is what is measured here.
    api.awaitFinished(api.submit(Map.of("urls", List.of(a.url("/delay/0?warm"),
        b.url("/delay/0?warm")))), Duration.ofSeconds(30));
    List<String> all = new ArrayList<>(urls(a, "/delay/0", 4, run));
    all.addAll(urls(b, "/delay/0", 4, run));
    // a and b are two hosts (ports) of one domain (127.0.0.1): one pace for both.
    String id = api.submit(Map.of("urls", all, "concurrency", 8,
        "perHost", Map.of("minDelayMs", 250, "groupBy", "domain")));
    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(30));
    assertEquals(8, job.get("succeeded").asInt(), () -> kinds(job).toString());
    List<Long> at = new ArrayList<>(times(a, run));
    at.addAll(times(b, run));
    at.sort(null);
    for (int i = 1; i < at.size(); i++) {
      long gap = ms(at.get(i) - at.get(i - 1));
      assertTrue(gap >= 240, "requests " + (i - 1) + " and " + i + " of one domain " + gap
          + " ms apart; minDelayMs 250");
    }
    // By host, the two ports are paced apart: the pairs overlap in time.
    String byHost = api.submit(Map.of("urls", all.stream().map(u -> u + "&host=1").toList(),
        "concurrency", 8, "perHost", Map.of("minDelayMs", 250)));
    api.awaitFinished(byHost, Duration.ofSeconds(30));
    List<Long> ta = times(a, run).subList(4, 8);
    List<Long> tb = times(b, run).subList(4, 8);
    long spanA = ms(ta.get(3) - ta.get(0));
    assertTrue(spanA >= 740, "4 requests to a, 250 ms apart, took " + spanA + " ms");
    assertTrue(tb.get(0) < ta.get(3) && ta.get(0) < tb.get(3),
        "grouped by host, a and b are paced each on its own, at the same time");
  }

  @Test
  void theServicesPerHostLimitHoldsAcrossJobsAndAJobMayNarrowIt() {
    TargetServer t = target();
    String run = run();
    String one = api.submit(Map.of("urls", urls(t, "/delay/200", 12, run + "a"),
        "concurrency", 10));
    String two = api.submit(Map.of("urls", urls(t, "/delay/200", 12, run + "b"),
        "concurrency", 10));
    api.awaitFinished(one, Duration.ofSeconds(60));
    api.awaitFinished(two, Duration.ofSeconds(60));
    assertTrue(t.peakInFlight() <= PER_HOST, "two jobs of concurrency 10 had "
        + t.peakInFlight() + " requests at once at one host; the service allows " + PER_HOST);
    assertTrue(t.peakInFlight() >= 2, "the limit was used: " + t.peakInFlight());

    TargetServer narrow = target();
    String own = api.submit(Map.of("urls", urls(narrow, "/delay/100", 6, run), "concurrency",
        10, "perHost", Map.of("concurrency", 1)));
    api.awaitFinished(own, Duration.ofSeconds(60));
    assertEquals(1, narrow.peakInFlight(), "perHost.concurrency 1");
  }

  @Test
  void aHostAnswering429WithRetryAfterGetsNothingUntilThenWhileOthersContinue() {
    TargetServer slow = target();
    TargetServer other = target();
    String run = run();
    List<String> all = new ArrayList<>();
    List<String> slowUrls = urls(slow, "/flaky/1/429?retry-after=2", 6, run);
    List<String> otherUrls = urls(other, "/delay/100", 40, run);
    for (int i = 0; i < 40; i++) {
      if (i < slowUrls.size()) all.add(slowUrls.get(i));
      all.add(otherUrls.get(i));
    }
    String id = api.submit(Map.of("urls", all, "concurrency", 6, "retries", 2));
    // While it is blocked, GET /hosts says which host, why and until when.
    String key = "127.0.0.1:" + slow.port();
    JsonNode listed = Await.value(Duration.ofSeconds(10), "GET /hosts lists " + key,
        () -> listedAs(key));
    assertEquals("blocked", listed.get("state").asText(), listed.toString());
    assertTrue(listed.get("reason").asText().contains("429"), listed.toString());
    assertTrue(listed.get("until").isTextual(), listed.toString());
    Scrape blocked = new Scrape(api.getText("/metrics").body());
    assertTrue(blocked.sum("fetchrunner_hosts_held_back", "state", "blocked") >= 1,
        blocked.text());

    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(60));
    assertEquals(46, job.get("succeeded").asInt(), job.get("state").asText());
    assertTrue(job.get("delayed").asInt() >= 1, "URLs delayed by back-off: "
        + job.get("delayed"));

    List<Long> s = times(slow, run);
    long first = s.get(0);
    // The first burst: requests sent before the first 429 came back.
    int burst = 0;
    while (burst < s.size() && s.get(burst) - first < 150_000_000L) burst++;
    long next = s.get(burst);
    assertTrue(ms(next - first) >= 1900, "a request " + ms(next - first)
        + " ms after the first 429 with Retry-After: 2");
    long during = times(other, run).stream()
        .filter(x -> x > first + 200_000_000L && x < first + 1_800_000_000L).count();
    assertTrue(during >= 5, "the other host got " + during + " requests while "
        + key + " was blocked");
    Scrape metrics = new Scrape(api.getText("/metrics").body());
    assertTrue(metrics.sum("fetchrunner_hosts_slowdowns_total") >= 1, metrics.text());
    assertTrue(metrics.sum("fetchrunner_requests_delayed_total")
        >= job.get("delayed").asInt(), metrics.text());
  }

  @Test
  void aSlowedHostRecoversAfterItsQuietPeriod() {
    TargetServer t = target();
    String run = run();
    String id = api.submit(Map.of("urls", urls(t, "/flaky/1/503", 4, run), "concurrency", 4,
        "retries", 2));
    String key = "127.0.0.1:" + t.port();
    JsonNode listed = Await.value(Duration.ofSeconds(10), "GET /hosts lists " + key
        + " after its 503s", () -> listedAs(key));
    assertTrue(listed.get("reason").asText().contains("503"), listed.toString());
    api.awaitFinished(id, Duration.ofSeconds(30));
    // recover-after 1 s, 2 steps: back to full speed (and off the list) within seconds.
    Await.until(Duration.ofSeconds(15), () -> key + " still held back: " + listedAs(key),
        () -> listedAs(key) == null);
    // And it takes its full share again.
    t.resetPeakInFlight();
    String again = api.submit(Map.of("urls", urls(t, "/delay/300", 6, run + "x"),
        "concurrency", 6));
    api.awaitFinished(again, Duration.ofSeconds(30));
    assertEquals(PER_HOST, t.peakInFlight(), "in flight at once after recovering");
  }

  private static JsonNode listedAs(String key) {
    for (JsonNode h : api.get("/hosts").body().get("hosts")) {
      if (h.get("host").asText().equals(key)) return h;
    }
    return null;
  }

  @Test
  void aHostThatRefusesEveryConnectionFailsTheRestFastUnlessTheJobOptsOut() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<String> dead = IntStream.range(0, 20)
        .mapToObj(i -> "http://127.0.0.1:" + port + "/x?i=" + i).toList();
    String id = api.submit(Map.of("urls", dead, "concurrency", 1, "retries", 0));
    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(60));
    Map<String, Integer> kinds = kinds(job);
    assertEquals(3, kinds.getOrDefault("refused", 0), kinds.toString());
    assertEquals(17, kinds.getOrDefault("host-unavailable", 0), kinds.toString());
    JsonNode listed = listedAs("127.0.0.1:" + port);
    assertNotNull(listed);
    assertEquals("unavailable", listed.get("state").asText(), listed.toString());

    String patient = api.submit(Map.of("urls", dead.subList(0, 5), "concurrency", 1,
        "retries", 0, "failFast", false));
    Map<String, Integer> own = kinds(api.awaitFinished(patient, Duration.ofSeconds(60)));
    assertEquals(Map.of("refused", 5), own, "failFast false: each URL tried");
  }

  private static Map<String, Integer> kinds(JsonNode job) {
    Map<String, Integer> kinds = new HashMap<>();
    job.get("results").forEach(r -> kinds.merge(r.get("errorKind").isNull() ? "none"
        : r.get("errorKind").asText(), 1, Integer::sum));
    return kinds;
  }

  @Test
  void aJobThatObeysRobotsTxtSkipsWhatItDisallowsAndKeepsItsCrawlDelay() {
    TargetServer t = target();
    t.robots("User-agent: googlebot\nDisallow: /\n\n"
        + "User-agent: fetchrunner\nDisallow: /status/\nCrawl-delay: 1\n");
    String run = run();
    List<String> open = urls(t, "/delay/0", 3, run);
    List<String> closed = urls(t, "/status/200", 2, run);
    List<String> all = new ArrayList<>(open);
    all.addAll(closed);
    String id = api.submit(Map.of("urls", all, "concurrency", 5, "robots", "obey"));
    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(30));
    assertEquals(3, job.get("succeeded").asInt(), () -> kinds(job).toString());
    assertEquals(2, job.get("failed").asInt(), () -> kinds(job).toString());
    for (JsonNode r : job.get("results")) {
      if (!r.get("url").asText().contains("/status/")) continue;
      assertEquals("robots", r.get("errorKind").asText(), r.toString());
      assertTrue(r.get("error").asText().contains("/robots.txt"), r.toString());
    }
    assertEquals(0, t.arrivals().stream()
        .filter(a -> a.pathAndQuery().startsWith("/status/")).count(), "disallowed, not sent");
    assertEquals(1, t.hits("/robots.txt"), "robots.txt read once for the job");
    List<Long> at = times(t, run);
    for (int i = 1; i < at.size(); i++) {
      long gap = ms(at.get(i) - at.get(i - 1));
      assertTrue(gap >= 950, "Crawl-delay: 1, but requests " + gap + " ms apart");
    }
    // A job that does not ask for robots.txt fetches them (the service's choice is per job).
    String plain = api.submit(Map.of("urls", closed, "concurrency", 2));
    assertEquals(2, api.awaitFinished(plain, Duration.ofSeconds(30)).get("succeeded").asInt());
  }

  @Test
  void badPolitenessOptionsAreRefusedNamingTheField() {
    String url = "http://127.0.0.1:9/x";
    Map<String, Object[]> bad = Map.of(
        "perHost", new Object[] {"perHost", 3},
        "perHost.concurrency", new Object[] {"perHost", Map.of("concurrency", 0)},
        "perHost.concurrency ", new Object[] {"perHost", Map.of("concurrency", PER_HOST + 1)},
        "perHost.ratePerSecond", new Object[] {"perHost", Map.of("ratePerSecond", -1)},
        "perHost.ratePerSecond ", new Object[] {"perHost", Map.of("ratePerSecond", "fast")},
        "perHost.minDelayMs", new Object[] {"perHost", Map.of("minDelayMs", 3_600_001)},
        "perHost.groupBy", new Object[] {"perHost", Map.of("groupBy", "tld")},
        "perHost.burst", new Object[] {"perHost", Map.of("burst", 2)},
        "robots", new Object[] {"robots", "maybe"},
        "failFast", new Object[] {"failFast", "no"});
    api.awaitReadSide(Duration.ofSeconds(30));
    int before = api.get("/jobs?limit=1000").body().get("jobs").size();
    for (var e : bad.entrySet()) {
      Api.Reply r = api.postJson(Map.of("urls", List.of(url), e.getValue()[0], e.getValue()[1]));
      assertEquals(400, r.status(), e.getKey() + ": " + r);
      assertEquals(e.getKey().strip(), r.body().get("field").asText(), r.body().toString());
    }
    api.awaitReadSide(Duration.ofSeconds(30));
    assertEquals(before, api.get("/jobs?limit=1000").body().get("jobs").size(),
        "nothing stored");
  }
}
