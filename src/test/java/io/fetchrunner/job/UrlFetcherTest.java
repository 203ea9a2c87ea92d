package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.Settings;
import io.fetchrunner.fetch.AttemptOutcome;
import io.fetchrunner.fetch.ErrorKind;
import io.fetchrunner.fetch.FetchRequest;
import io.fetchrunner.fetch.HttpFetcher;
import io.fetchrunner.fetch.TargetPolicy;
import io.fetchrunner.support.TargetServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One URL's worker on its own against a local target: retries of a retryable status, as the
 * server's Retry-After asks or not at all when it asks too much, the attempts its result
 * records, and a worker stopped while its request is in flight.
 */
class UrlFetcherTest {
  private static final Config CONFIG = ConfigFactory.load();

  private static ActorTestKit testKit;
  private static TargetServer target;
  private static HttpFetcher fetcher;

  /** What a worker reported: the URL's index and its final result. */
  private record Reported(int index, UrlResult result) {}

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("url-fetcher-test", CONFIG);
    target = new TargetServer();
    fetcher = fetcher(CONFIG);
  }

  @AfterAll
  static void stop() {
    target.close();
    testKit.shutdownTestKit();
  }

  private static HttpFetcher fetcher(Config config) {
    return new HttpFetcher(testKit.system(), Settings.from(config).fetch(),
        new TargetPolicy(List.of(), List.of(), true));
  }

  /** A path of its own (the target counts requests by path and query). */
  private static String unique(String path) {
    return path + (path.contains("?") ? "&" : "?") + "id=" + UUID.randomUUID();
  }

  /** Retries with a backoff of 10 to 50 ms; a Retry-After of up to 10 s is waited for. */
  private static UrlFetcher.RetryPolicy retries(int n) {
    return new UrlFetcher.RetryPolicy(n, Duration.ofMillis(10), Duration.ofMillis(50),
        Duration.ofSeconds(10));
  }

  /** Starts a worker for {@code path}; its result goes to {@code reports}. */
  private static ActorRef<UrlFetcher.Command> worker(HttpFetcher via, int index, String path,
      UrlFetcher.RetryPolicy retry, TestProbe<Reported> reports,
      TestProbe<AttemptOutcome> attempts) {
    FetchRequest request = new FetchRequest(
        path.startsWith("http") ? path : target.url(path), "GET", Map.of(), null,
        Duration.ofMinutes(5), 1_000_000, false, 5);
    JobMetrics metrics = new JobMetrics() {
      @Override
      public void attempted(AttemptOutcome outcome) {
        attempts.ref().tell(outcome);
      }

      @Override
      public void stored(List<Job.Event> events, long nanos) {}
    };
    return testKit.spawn(UrlFetcher.create(index, request, retry, via,
        (i, result) -> reports.ref().tell(new Reported(i, result)), metrics));
  }

  private static UrlResult run(String path, UrlFetcher.RetryPolicy retry) {
    TestProbe<Reported> reports = testKit.createTestProbe();
    TestProbe<AttemptOutcome> attempts = testKit.createTestProbe();
    worker(fetcher, 7, path, retry, reports, attempts);
    Reported r = reports.expectMessageClass(Reported.class, Duration.ofSeconds(30));
    assertEquals(7, r.index());
    assertEquals(r.result().attempts(),
        attempts.receiveSeveralMessages(r.result().attempts()).size());
    attempts.expectNoMessage(Duration.ofMillis(200));
    reports.expectNoMessage(Duration.ofMillis(200)); // one result, once
    return r.result();
  }

  @Test
  void a503ThenA200IsRetriedNoSoonerThanItsRetryAfterAndRecordsBothAttempts() {
    String path = unique("/flaky/1/503?retry-after=1");
    UrlResult r = run(path, retries(2));
    assertEquals(UrlState.SUCCEEDED, r.state());
    assertEquals(200, r.httpStatus());
    assertEquals(2, r.attempts());
    assertNull(r.error());
    assertEquals(1, r.earlierAttempts().size());
    UrlResult.Attempt first = r.earlierAttempts().get(0);
    assertEquals(503, first.httpStatus());
    assertEquals(ErrorKind.HTTP_STATUS.wire(), first.errorKind());
    assertTrue(first.error().startsWith("HTTP 503"), first.error());
    assertNotNull(r.startedAt());

    List<Long> at = target.hitTimes(path);
    assertEquals(2, at.size(), "two requests reached the target");
    long gapMs = (at.get(1) - at.get(0)) / 1_000_000;
    // Without the Retry-After the backoff would be 10 to 50 ms.
    assertTrue(gapMs >= 1000, "the retry came " + gapMs + " ms after the first request");
  }

  @Test
  void retriesStopAtThePolicysCountAndTheResultKeepsEveryFailedAttempt() {
    String path = unique("/flaky/5/503");
    UrlResult r = run(path, retries(2));
    assertEquals(UrlState.FAILED, r.state());
    assertEquals(503, r.httpStatus());
    assertEquals(3, r.attempts(), "the first attempt and 2 retries");
    assertEquals(3, target.hits(path));
    assertEquals(2, r.earlierAttempts().size());
    r.earlierAttempts().forEach(a -> assertEquals(503, a.httpStatus()));
    assertTrue(r.error().startsWith("HTTP 503"), r.error());
    assertEquals(ErrorKind.HTTP_STATUS.wire(), r.errorKind());
  }

  @Test
  void aStatusThatIsNotRetryableIsNotRetried() {
    String path = unique("/status/404");
    UrlResult r = run(path, retries(2));
    assertEquals(UrlState.FAILED, r.state());
    assertEquals(404, r.httpStatus());
    assertEquals(1, r.attempts());
    assertTrue(r.earlierAttempts().isEmpty());
    assertEquals(1, target.hits(path));
  }

  @Test
  void ourOwnBackoffIsWaitedEvenWhenLongerThanTheRetryAfterLimit() {
    // A backoff of 300 ms to 600 ms, and a limit of 100 ms on what servers may ask for: the
    // limit is about Retry-After, so the URL is retried after its backoff.
    String path = unique("/flaky/1/503");
    UrlResult r = run(path, new UrlFetcher.RetryPolicy(1, Duration.ofMillis(600),
        Duration.ofMillis(600), Duration.ofMillis(100)));
    assertEquals(UrlState.SUCCEEDED, r.state(), String.valueOf(r.error()));
    assertEquals(2, r.attempts());
    assertEquals(2, target.hits(path));
  }

  @Test
  void aRetryAfterLongerThanTheLimitIsNotWaitedForAndSaysWhy() {
    String path = unique("/status/503?retry-after=60");
    // A host of its own: a 503 with Retry-After 60 blocks its host that long (back-off).
    TargetServer own = new TargetServer();
    UrlResult r;
    try {
      r = run(own.url(path), retries(2));
    } finally {
      own.close();
    }
    assertEquals(UrlState.FAILED, r.state());
    assertEquals(503, r.httpStatus());
    assertEquals(1, r.attempts());
    assertTrue(r.earlierAttempts().isEmpty());
    assertTrue(r.error().contains("not retried: Retry-After of 60 s"), r.error());
    assertEquals(1, own.hits(path));
  }

  @Test
  void aWorkerStoppedMidRequestReportsNothingAndFreesItsHostForTheNextRequest() {
    // One request at a time to the host: the next one goes only once the first lets go.
    HttpFetcher onePerHost = fetcher(ConfigFactory.parseString(
        "fetchrunner.fetch.per-host-concurrency = 1").withFallback(CONFIG));
    TestProbe<Reported> reports = testKit.createTestProbe();
    TestProbe<AttemptOutcome> attempts = testKit.createTestProbe();
    // Answered after 10 minutes (the target's own request timeout, 2 min, comes first).
    String slow = unique("/delay/600000");
    ActorRef<UrlFetcher.Command> stopped =
        worker(onePerHost, 0, slow, retries(2), reports, attempts);
    reports.awaitAssert(Duration.ofSeconds(20), () -> {
      assertEquals(1, target.hits(slow), "the request is in flight");
      return null;
    });
    testKit.stop(stopped);

    String next = unique("/delay/0");
    worker(onePerHost, 1, next, retries(0), reports, attempts);
    Reported r = reports.expectMessageClass(Reported.class, Duration.ofSeconds(30));
    assertEquals(1, r.index(), "only the next worker reports: " + r);
    assertEquals(UrlState.SUCCEEDED, r.result().state());
    reports.expectNoMessage(Duration.ofMillis(500));
    assertEquals(1, attempts.receiveSeveralMessages(1).size(), "only the next one's attempt");
    attempts.expectNoMessage(Duration.ofMillis(200));
    assertEquals(1, target.hits(slow), "the stopped request was not sent again");
  }
}
