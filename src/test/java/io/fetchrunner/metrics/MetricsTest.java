package io.fetchrunner.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Scrape;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /metrics of a real service that fetched from a real target server: what a job did shows
 * in the counters, the request gauges name only the busiest hosts, the read side's lag, the
 * token rule, and the separate metrics port.
 */
class MetricsTest {
  private static final String TOKEN = "metrics-token";
  /** Requests in flight per host for this service (some wait: the waiting gauge shows). */
  private static final int PER_HOST = 3;
  private static final int TOP_HOSTS = 2;

  @TempDir static Path dataDir;
  static TargetServer target;
  static FetchRunner service;
  static Api api;

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = Services.start(dataDir, """
        fetchrunner.http.api-token = "%s"
        fetchrunner.fetch.per-host-concurrency = %d
        fetchrunner.metrics.top-hosts = %d
        """.formatted(TOKEN, PER_HOST, TOP_HOSTS));
    api = new Api(service.port(), TOKEN);
  }

  @AfterAll
  static void stop() {
    service.close();
    target.close();
  }

  static Scrape scrape(Api client) {
    Api.TextReply r = client.getText("/metrics");
    assertEquals(200, r.status(), () -> "GET /metrics: " + r);
    return new Scrape(r.body());
  }

  /** Scrapes until {@code ok} holds (the figures follow the service: gauges, the read side). */
  static Scrape awaitScrape(Api client, Predicate<Scrape> ok, String what) {
    Scrape s = null;
    for (int i = 0; i < 300; i++) {
      s = scrape(client);
      if (ok.test(s)) return s;
      Api.sleep(50);
    }
    throw new AssertionError(what + " never showed in GET /metrics:\n" + s.text());
  }

  /** A port nothing listens on (connections are refused). */
  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static final String FETCHED = "fetchrunner_urls_fetched_total";
  static final String REQUEST_COUNT = "fetchrunner_fetch_request_seconds_count";

  @Test
  void aJobsResultsShowByOutcomeAndErrorKind() throws IOException {
    Scrape before = scrape(api);
    double completedBefore = before.value("fetchrunner_jobs", "state", "completed");
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < 5; i++) urls.add(target.url("/delay/1?metrics-ok=" + i));
    for (int i = 0; i < 2; i++) urls.add(target.url("/status/404?metrics-404=" + i));
    urls.add("http://127.0.0.1:" + closedPort() + "/refused");
    String id = api.submit(Map.of("name", "metrics", "urls", urls, "retries", 0));
    var job = api.awaitFinished(id, Duration.ofSeconds(60));
    assertEquals("COMPLETED", job.get("state").asText());

    Scrape after = scrape(api);
    // Kept for a look (the README's example lines come from such a page).
    Files.writeString(Path.of("target", "metrics-example.txt"), after.text());
    assertEquals(5, delta(before, after, FETCHED, "outcome", "succeeded", "error_kind", "none"));
    assertEquals(2, delta(before, after, FETCHED, "outcome", "failed",
        "error_kind", "http-status"));
    assertEquals(1, delta(before, after, FETCHED, "outcome", "failed", "error_kind", "refused"));
    assertEquals(8, delta(before, after, FETCHED), "every result counted once");
    // One attempt per URL (retries 0): the latency histogram counted each fetch once.
    assertEquals(8, delta(before, after, REQUEST_COUNT));
    assertEquals(5, delta(before, after, REQUEST_COUNT, "outcome", "ok"));
    assertEquals(8, delta(before, after, "fetchrunner_fetch_request_seconds_bucket",
        "le", "+Inf"));
    // The results reached the journal in batches: 8 results, each in one batch.
    assertTrue(delta(before, after, "fetchrunner_journal_write_seconds_count") >= 1);
    assertEquals(8, delta(before, after, "fetchrunner_journal_batch_results_sum"));
    assertEquals(0, after.value("fetchrunner_node_jobs_running"));
    // The read side counts the job as completed once it has applied its end.
    awaitScrape(api, s -> s.value("fetchrunner_jobs", "state", "completed")
        == completedBefore + 1, "the completed job");
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }

  @Test
  void jvmAndProcessMetricsAreThere() {
    Scrape s = scrape(api);
    Set<String> names = Set.copyOf(s.names());
    for (String name : List.of("jvm_memory_used_bytes", "jvm_threads_live_threads",
        "jvm_classes_loaded_classes", "jvm_gc_memory_allocated_bytes_total",
        "process_uptime_seconds", "process_cpu_usage", "system_cpu_count",
        "process_files_open_files")) {
      assertTrue(names.contains(name), () -> name + " missing from " + names);
    }
    assertTrue(s.sum("jvm_memory_used_bytes", "area", "heap") > 0);
  }

  @Test
  void metricsNeedTheTokenLikeTheApi() {
    Api.Reply without = new Api(service.port()).get("/metrics");
    assertEquals(401, without.status());
    assertEquals("Authorization", without.body().get("field").asText(), without.toString());
    Api.Reply wrong = new Api(service.port(), "not-the-token").get("/metrics");
    assertEquals(401, wrong.status());
    Api.TextReply ok = api.getText("/metrics");
    assertEquals(200, ok.status());
    assertEquals("text/plain; version=0.0.4; charset=UTF-8", ok.contentType());
    // Like every call: a query parameter it does not take is a 400 naming it.
    Api.Reply unknown = api.get("/metrics?name=jvm");
    assertEquals(400, unknown.status());
    assertEquals("name", unknown.body().get("field").asText(), unknown.toString());
  }

  @Test
  void onlyTheBusiestHostsAreNamed() throws IOException {
    // Five hosts that accept connections and never answer: host i gets i requests, which
    // stay in flight (at most PER_HOST each, the rest wait) until the jobs are cancelled. A
    // job sends no host more than PER_HOST at once (its own requests never wait for a host),
    // so the requests beyond PER_HOST come from a second job.
    List<ServerSocket> silent = new ArrayList<>();
    String id = null;
    String more = null;
    try {
      List<String> urls = new ArrayList<>();
      List<String> beyond = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        ServerSocket s = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        silent.add(s);
        for (int r = 0; r < i; r++) {
          (r < PER_HOST ? urls : beyond).add("http://127.0.0.1:" + s.getLocalPort() + "/" + r);
        }
      }
      id = api.submit(Map.of("name", "silent hosts", "urls", urls, "concurrency", 15,
          "timeoutMs", 120_000, "retries", 0));
      more = api.submit(Map.of("name", "silent hosts, more", "urls", beyond,
          "timeoutMs", 120_000, "retries", 0));
      String inFlight = "fetchrunner_requests_in_flight";
      String waiting = "fetchrunner_requests_waiting";
      Scrape s = awaitScrape(api, x -> x.sum(inFlight) + x.sum(waiting) == 15
          && x.sum(inFlight) == 12, "15 requests (12 in flight, 3 waiting)");
      Map<String, Double> hosts = s.all(inFlight).stream().collect(
          Collectors.toMap(x -> x.labels().get("host"), x -> x.value()));
      String busiest = "127.0.0.1:" + silent.get(4).getLocalPort();
      String second = "127.0.0.1:" + silent.get(3).getLocalPort();
      assertEquals(Set.of(busiest, second, ServiceMetrics.OTHER_HOSTS), hosts.keySet(),
          s.text());
      assertEquals(PER_HOST, hosts.get(busiest));
      assertEquals(PER_HOST, hosts.get(second));
      assertEquals(3 + 2 + 1, hosts.get(ServiceMetrics.OTHER_HOSTS));
      assertEquals(2, s.value(waiting, "host", busiest));
      assertEquals(1, s.value(waiting, "host", second));
      assertEquals(0, s.value(waiting, "host", ServiceMetrics.OTHER_HOSTS));
      assertEquals(2, s.value("fetchrunner_node_jobs_running"));

      assertEquals(200, api.delete("/jobs/" + id).status());
      assertEquals(200, api.delete("/jobs/" + more).status());
      // Cancelled: the requests end, and so do their series.
      awaitScrape(api, x -> x.all(inFlight).isEmpty() && x.all(waiting).isEmpty(),
          "no request in flight");
    } finally {
      if (id != null) api.delete("/jobs/" + id); // also when an assertion failed
      if (more != null) api.delete("/jobs/" + more);
      for (ServerSocket s : silent) s.close();
    }
  }

  @Test
  void theReadSideLagFallsOnceItCatchesUp(@TempDir Path dir) {
    // The read side polls once at the start and then not for an hour: it falls behind.
    try (FetchRunner lagging = Services.start(dir, "fetchrunner.history.refresh-interval = 1h")) {
      Api client = new Api(lagging.port());
      String lag = "fetchrunner_read_side_lag_seconds";
      awaitScrape(client, s -> !Double.isNaN(s.value(lag)), "the read side's first poll");
      long submitted = System.currentTimeMillis();
      String id = client.submit(Map.of("urls", List.of(target.url("/delay/1?lag"))));
      client.awaitFinished(id, Duration.ofSeconds(60));
      long scraped = System.currentTimeMillis();
      double behind = scrape(client).value(lag);
      // It read the journal before the job was submitted, and nothing since.
      assertFalse(client.get("/jobs").body().get("jobs").elements().hasNext());
      assertTrue(behind >= (scraped - submitted) / 1000.0,
          () -> "lag " + behind + " s, but the job was submitted "
              + (scraped - submitted) + " ms before");

      long rebuilt = System.currentTimeMillis();
      assertEquals(202, client.post("/admin/read-side/rebuild", "application/json", "")
          .status());
      client.awaitListed(id);
      double caughtUp = scrape(client).value(lag);
      long now = System.currentTimeMillis();
      // It read the whole journal after the rebuild was asked for.
      assertTrue(caughtUp <= (now - rebuilt) / 1000.0,
          () -> "lag " + caughtUp + " s, though the read side caught up within the last "
              + (now - rebuilt) + " ms");
    }
  }

  @Test
  void aMetricsPortThatIsNotOneIsRefusedNamingTheSetting(@TempDir Path dir) {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Services.start(dir, "fetchrunner.metrics.port = 9o9o"));
    assertEquals("configuration: fetchrunner.metrics.port must be off or a port number"
        + " 0..65535, not \"9o9o\"", e.getMessage());
  }

  @Test
  void aTakenMetricsPortStopsTheStartSayingSo(@TempDir Path dir) throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      var e = assertThrows(IllegalStateException.class, () -> Services.start(dir,
          "fetchrunner.metrics.port = " + taken.getLocalPort()));
      assertTrue(e.getCause().getMessage().startsWith("cannot listen on 127.0.0.1:"
          + taken.getLocalPort() + " (fetchrunner.metrics.host/port)"), e.getCause().getMessage());
    }
  }

  @Test
  void aPortOfItsOwnServesMetricsWithoutTheToken(@TempDir Path dir) {
    try (FetchRunner own = Services.start(dir, """
        fetchrunner.http.api-token = "%s"
        fetchrunner.metrics.port = 0
        """.formatted(TOKEN))) {
      int port = own.metricsPort().orElseThrow();
      assertTrue(port != own.port());
      Scrape s = scrape(new Api(port));
      assertTrue(s.names().contains("fetchrunner_node_jobs_running"), s.text());
      assertTrue(s.names().contains("jvm_memory_used_bytes"));
      // No longer on the API's port, token or not.
      assertEquals(404, new Api(own.port(), TOKEN).get("/metrics").status());
      // The metrics port serves nothing else.
      assertEquals(404, new Api(port, TOKEN).get("/jobs").status());
    }
  }
}
