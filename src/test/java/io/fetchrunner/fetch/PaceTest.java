package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.HostSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Turns per host on a clock and a scheduler the test drives: the service's interval, a job's
 * own (shared by two hosts of one domain), the back-off block, a waiter that gives up, and
 * a timer that fires late not pushing the rate down.
 */
class PaceTest {
  final AtomicLong now = new AtomicLong(5_000_000_000L);
  final List<long[]> due = new ArrayList<>(); // [at, index]
  final List<Runnable> tasks = new ArrayList<>();

  final HostGate.Scheduler scheduler = (delay, task) -> {
    due.add(new long[] {now.get() + delay.toNanos(), tasks.size()});
    tasks.add(task);
  };

  HostSettings settings(double rate, Duration minDelay) {
    var d = HostSettings.defaults();
    return new HostSettings(rate, minDelay, "host", d.backoffStatuses(), d.failureStreak(),
        d.defaultBlock(), d.maxBlock(), d.recoverAfter(), d.recoverSteps(),
        d.unavailableAfter(), d.unavailableFor(), d.robots());
  }

  /** Moves the clock to {@code ms} from the start of the test, running the timers due. */
  long start = now.get();

  void at(long ms) {
    long target = start + ms * 1_000_000;
    while (true) {
      long[] next = null;
      for (long[] d : due) if (d[0] <= target && (next == null || d[0] < next[0])) next = d;
      if (next == null) break;
      due.remove(next);
      now.set(Math.max(now.get(), next[0]));
      tasks.get((int) next[1]).run();
    }
    now.set(target);
  }

  @Test
  void theServicesRateSpacesEveryJobsRequestsToAHost() {
    HostHealth health = new HostHealth(settings(10, Duration.ZERO), now::get);
    Pace pace = new Pace(settings(10, Duration.ZERO), health, scheduler, now::get);
    List<CompletableFuture<Void>> turns = new ArrayList<>();
    for (int i = 0; i < 4; i++) turns.add(pace.ready("h:80", "h:80", JobPace.NONE));
    assertTrue(turns.get(0).isDone(), "the first at once");
    assertFalse(turns.get(1).isDone());
    at(99);
    assertFalse(turns.get(1).isDone(), "100 ms apart (10 a second)");
    at(100);
    assertTrue(turns.get(1).isDone());
    assertFalse(turns.get(2).isDone());
    at(200);
    assertTrue(turns.get(2).isDone());
    at(300);
    assertTrue(turns.get(3).isDone());
    assertTrue(pace.ready("other:80", "other:80", JobPace.NONE).isDone(),
        "another host has its own turns");
  }

  @Test
  void aLateTimerDoesNotPushTheRateDownButAnIdleHostGetsNoBurst() {
    assertEquals(200, Pace.next(100, 130, 100, 0), "late by 30: the next turn stays at 200");
    assertEquals(230, Pace.next(100, 130, 100, 100), "a minimum delay is never shortened");
    assertEquals(600, Pace.next(100, 500, 100, 0), "idle since 100: from now, no burst");
  }

  @Test
  void aJobsOwnPaceHoldsAcrossTheHostsOfItsDomain() {
    HostHealth health = new HostHealth(HostSettings.defaults(), now::get);
    Pace pace = new Pace(HostSettings.defaults(), health, scheduler, now::get);
    JobPace job = new JobPace(Duration.ofMillis(250), Duration.ofMillis(250), "domain", true,
        false);
    JobPace other = JobPace.NONE;
    var a = pace.ready("a.example.com:443", "a.example.com:443", job);
    var b = pace.ready("b.example.com:443", "b.example.com:443", job);
    var free = pace.ready("b.example.com:443", "b.example.com:443", other);
    assertTrue(a.isDone());
    assertFalse(b.isDone(), "one domain: one pace for the job");
    assertTrue(free.isDone(), "another job's request is not held by this job's pace");
    at(249);
    assertFalse(b.isDone());
    at(250);
    assertTrue(b.isDone());
  }

  @Test
  void aBlockedHostGetsNoTurnUntilItsBlockEndsAndAWaiterMayGiveUp() {
    HostHealth health = new HostHealth(HostSettings.defaults(), now::get);
    Pace pace = new Pace(HostSettings.defaults(), health, scheduler, now::get);
    health.answered("h:80", 429, Duration.ofSeconds(2), 4);
    var gaveUp = pace.ready("h:80", "h:80", JobPace.NONE);
    var waits = pace.ready("h:80", "h:80", JobPace.NONE);
    assertFalse(gaveUp.isDone());
    gaveUp.cancel(false);
    at(1999);
    assertFalse(waits.isDone(), "Retry-After: 2");
    at(2000);
    assertTrue(waits.isDone());
    health.tick();
    assertTrue(pace.ready("h:80", "h:80", JobPace.NONE).isDone(), "no pacing: at once again");
  }

  @Test
  void aCrawlDelayRaisesTheJobsSpacingOfThatHostOnly() {
    HostHealth health = new HostHealth(HostSettings.defaults(), now::get);
    Pace pace = new Pace(HostSettings.defaults(), health, scheduler, now::get);
    JobPace job = new JobPace(Duration.ZERO, Duration.ZERO, "host", true, true);
    job.crawlDelay("slow:80", Duration.ofSeconds(1));
    assertTrue(pace.ready("slow:80", "slow:80", job).isDone());
    var second = pace.ready("slow:80", "slow:80", job);
    assertTrue(pace.ready("fast:80", "fast:80", job).isDone());
    assertTrue(pace.ready("fast:80", "fast:80", job).isDone(), "no Crawl-delay there");
    at(999);
    assertFalse(second.isDone());
    at(1000);
    assertTrue(second.isDone());
  }
}
