package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.HostSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The back-off's arithmetic on a clock the test moves: multiplicative decrease (once per
 * burst), the Retry-After block and its cap, additive recovery after quiet periods, failure
 * streaks, and host-unavailable with its probe.
 */
class HostHealthTest {
  static final String HOST = "example.com:443";
  final AtomicLong now = new AtomicLong(1_000_000_000L);
  final List<String> raised = new ArrayList<>();

  /** 429 and 503 slow down; 3 failures a streak; recover every 5 s in 4 steps; 5 hard: out. */
  HostHealth health(double rate) {
    var s = new HostSettings(rate, Duration.ZERO, "host", Set.of(429, 503), 3,
        Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(5), 4, 5,
        Duration.ofSeconds(20), HostSettings.defaults().robots());
    HostHealth h = new HostHealth(s, now::get);
    h.onRaised(raised::add);
    return h;
  }

  void pass(Duration d) {
    now.addAndGet(d.toNanos());
  }

  long blockedFor(HostHealth h) {
    long until = h.blockedUntil(HOST);
    return until == 0 ? 0 : (until - now.get()) / 1_000_000;
  }

  @Test
  void a429HalvesWhatTheHostHadInFlightAndBlocksItForItsRetryAfter() {
    HostHealth h = health(0);
    assertEquals(Integer.MAX_VALUE, h.allowed(HOST));
    h.answered(HOST, 429, Duration.ofSeconds(2), 8);
    assertEquals(4, h.allowed(HOST));
    assertEquals(2000, blockedFor(h));
    assertTrue(h.backingOff(HOST));
    var v = h.view().get(0);
    assertEquals("blocked", v.state());
    assertEquals("HTTP 429 with Retry-After 2 s", v.reason());
    assertEquals(8, v.concurrencyBefore());
    assertEquals(1.0, v.rateFactor(), "no rate set: nothing to lower");

    // The same burst's other answers count once; a second later they halve again.
    h.answered(HOST, 429, null, 4);
    assertEquals(4, h.allowed(HOST));
    pass(Duration.ofSeconds(1));
    h.answered(HOST, 503, null, 4);
    assertEquals(2, h.allowed(HOST));
    pass(Duration.ofSeconds(1));
    h.answered(HOST, 503, null, 1);
    assertEquals(1, h.allowed(HOST), "never below one");
    assertEquals(3, h.counters().slowdowns());
  }

  @Test
  void aRetryAfterLongerThanMaxBlockIsCappedAndOtherStatusesDoNotSlowDown() {
    HostHealth h = health(0);
    h.answered(HOST, 500, null, 3);
    h.answered(HOST, 404, null, 3);
    assertFalse(h.backingOff(HOST));
    assertTrue(h.view().isEmpty());
    h.answered(HOST, 503, Duration.ofHours(1), 3);
    assertEquals(30_000, blockedFor(h), "max-block 30 s");
  }

  @Test
  void aQuietHostGetsItsLimitsBackStepByStepThenIsForgotten() {
    HostHealth h = health(10);
    h.answered(HOST, 429, null, 8);
    assertEquals(4, h.allowed(HOST));
    assertEquals(0.5, h.rateFactor(HOST), "a paced host's rate halves too");
    pass(Duration.ofMillis(1000));
    h.tick(); // the 1 s default block is over: the gate hears of it
    assertEquals(List.of(HOST), raised);
    assertEquals(0, h.blockedUntil(HOST));
    assertEquals(4, h.allowed(HOST), "no step before recover-after");
    pass(Duration.ofSeconds(4));
    h.tick();
    assertEquals(4, h.allowed(HOST), "quiet counts from the end of the block: 4 s of 5");
    pass(Duration.ofSeconds(1));
    h.tick();
    assertEquals(6, h.allowed(HOST), "a quarter (4 steps) of 8 back");
    assertEquals(0.75, h.rateFactor(HOST));
    h.tick();
    assertEquals(6, h.allowed(HOST), "one step per quiet period");
    pass(Duration.ofSeconds(5));
    h.tick();
    assertEquals(Integer.MAX_VALUE, h.allowed(HOST), "back to what it had: no limit of ours");
    assertEquals(1.0, h.rateFactor(HOST));
    assertTrue(h.view().isEmpty(), "recovered hosts are not listed");
    assertFalse(h.backingOff(HOST));
  }

  @Test
  void troubleDuringRecoveryStartsTheQuietPeriodAgain() {
    HostHealth h = health(0);
    h.answered(HOST, 429, null, 8);
    pass(Duration.ofSeconds(4));
    h.answered(HOST, 429, null, 4); // blocked until 5 s
    assertEquals(2, h.allowed(HOST));
    pass(Duration.ofSeconds(5));
    h.tick();
    assertEquals(2, h.allowed(HOST), "4 s since the block ended: not quiet yet");
    pass(Duration.ofSeconds(1));
    h.tick();
    assertEquals(4, h.allowed(HOST));
  }

  @Test
  void aStreakOfConnectionFailuresSlowsTheHostAndAnAnswerEndsIt() {
    HostHealth h = health(0);
    h.failed(HOST, ErrorKind.TIMEOUT_HEADERS, 6);
    h.failed(HOST, ErrorKind.RESET, 6);
    h.answered(HOST, 200, null, 6);
    h.failed(HOST, ErrorKind.TIMEOUT_HEADERS, 6);
    h.failed(HOST, ErrorKind.HTTP_STATUS, 6); // not a failure of the connection: ignored
    assertEquals(Integer.MAX_VALUE, h.allowed(HOST), "the streak was broken");
    h.failed(HOST, ErrorKind.TIMEOUT_HEADERS, 6);
    h.failed(HOST, ErrorKind.TIMEOUT_CONNECT, 6);
    assertEquals(3, h.allowed(HOST));
    assertTrue(h.view().get(0).reason().contains("3 connection failures or timeouts in a row"),
        h.view().toString());
  }

  @Test
  void afterHardFailuresInARowTheHostIsUnavailableUntilAProbeGetsThrough() {
    HostHealth h = health(0);
    for (int i = 0; i < 4; i++) h.failed(HOST, ErrorKind.REFUSED, 1);
    assertFalse(h.unavailable(HOST), "4 of 5");
    h.failed(HOST, ErrorKind.REFUSED, 1);
    assertTrue(h.unavailable(HOST));
    assertTrue(h.unavailable(HOST));
    assertEquals("unavailable", h.view().get(0).state());
    assertEquals(2, h.counters().failedFast());
    pass(Duration.ofSeconds(20));
    assertFalse(h.unavailable(HOST), "retry-after passed: this one is the probe");
    assertTrue(h.unavailable(HOST), "others wait for the probe's outcome");
    h.failed(HOST, ErrorKind.REFUSED, 1);
    assertTrue(h.unavailable(HOST), "the probe failed: out for retry-after again");
    pass(Duration.ofSeconds(20));
    assertFalse(h.unavailable(HOST));
    h.answered(HOST, 404, null, 1);
    assertFalse(h.unavailable(HOST), "an answer, any answer: available");
    assertFalse(h.unavailable(HOST));
  }

  @Test
  void aProbeThatNeverTellsIsReplacedAfterRetryAfter() {
    HostHealth h = health(0);
    for (int i = 0; i < 5; i++) h.failed(HOST, ErrorKind.REFUSED, 1);
    pass(Duration.ofSeconds(20));
    assertFalse(h.unavailable(HOST), "the probe");
    h.failed(HOST, ErrorKind.CANCELLED, 1); // its job was cancelled: says nothing of the host
    pass(Duration.ofSeconds(19));
    assertTrue(h.unavailable(HOST), "the probe may still tell");
    pass(Duration.ofSeconds(1));
    assertFalse(h.unavailable(HOST), "a new probe");
  }
}
