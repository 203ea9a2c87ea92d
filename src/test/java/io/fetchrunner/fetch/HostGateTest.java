package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class HostGateTest {

  @Test
  void perHostAndGlobalLimitsHoldAndWaitersAreServedInOrder() {
    HostGate gate = new HostGate(2, 3);
    var a1 = gate.acquire("a");
    var a2 = gate.acquire("a");
    var a3 = gate.acquire("a"); // per-host limit
    var b1 = gate.acquire("b");
    var b2 = gate.acquire("b"); // global limit
    assertTrue(a1.isDone() && a2.isDone() && b1.isDone());
    assertFalse(a3.isDone());
    assertFalse(b2.isDone());
    assertEquals(3, gate.inUse());

    gate.release("a"); // a has a slot again; one global permit: a3 or b2, in turn
    assertEquals(1, (a3.isDone() ? 1 : 0) + (b2.isDone() ? 1 : 0));
    assertEquals(3, gate.inUse());
    gate.release("b");
    assertTrue(a3.isDone() && b2.isDone());
    assertTrue(gate.inUse("a") <= 2 && gate.inUse("b") <= 2);
  }

  @Test
  void aWaiterThatGaveUpDoesNotKeepAPermit() {
    HostGate gate = new HostGate(1, 10);
    gate.acquire("a");
    var gaveUp = gate.acquire("a");
    var next = gate.acquire("a");
    gaveUp.cancel(false);
    gate.release("a");
    assertTrue(next.isDone() && !next.isCompletedExceptionally());
    gate.release("a");
    assertEquals(0, gate.inUse());
  }

  @Test
  void manyHostsNeverExceedTheirLimits() {
    HostGate gate = new HostGate(3, 7);
    List<String> held = new ArrayList<>();
    List<CompletableFuture<Void>> waiting = new ArrayList<>();
    List<String> waitingHosts = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String host = "h" + (i % 5);
      var f = gate.acquire(host);
      if (f.isDone()) {
        held.add(host);
      } else {
        waiting.add(f);
        waitingHosts.add(host);
      }
    }
    assertEquals(7, gate.inUse());
    int released = 0;
    while (!held.isEmpty()) {
      gate.release(held.remove(0));
      released++;
      for (int i = waiting.size() - 1; i >= 0; i--) {
        if (waiting.get(i).isDone()) {
          held.add(waitingHosts.remove(i));
          waiting.remove(i);
        }
      }
      assertTrue(gate.inUse() <= 7);
      for (int h = 0; h < 5; h++) assertTrue(gate.inUse("h" + h) <= 3);
    }
    assertEquals(200, released);
    assertTrue(waiting.isEmpty());
  }

  @Test
  void aHostRampsUpStepByStepWhileRequestsWaitAndOnlyThen() {
    List<Runnable> scheduled = new ArrayList<>();
    HostGate gate = new HostGate(2500, 100_000, 1000, Duration.ofMillis(100),
        (delay, task) -> scheduled.add(task));
    List<CompletableFuture<Void>> a = new ArrayList<>();
    for (int i = 0; i < 3000; i++) a.add(gate.acquire("a"));
    var b = gate.acquire("b"); // another host has its own ramp
    assertTrue(b.isDone());
    assertEquals(1000, a.stream().filter(CompletableFuture::isDone).count());
    assertEquals(1, scheduled.size(), "one raise is pending for host a");

    runAll(scheduled);
    assertEquals(2000, a.stream().filter(CompletableFuture::isDone).count());
    runAll(scheduled);
    assertEquals(2500, a.stream().filter(CompletableFuture::isDone).count(), "per-host cap");
    assertEquals(List.of(), scheduled, "no raise past per-host-concurrency");

    for (int i = 0; i < 500; i++) gate.release("a");
    assertEquals(3000, a.stream().filter(CompletableFuture::isDone).count());
    assertEquals(2500, gate.inUse("a"));
  }

  @Test
  void aHostThatNeverWaitsIsNeverRaisedAndIsForgottenWhenIdle() {
    List<Runnable> scheduled = new ArrayList<>();
    HostGate gate = new HostGate(5000, 100_000, 10, Duration.ofMillis(100),
        (delay, task) -> scheduled.add(task));
    for (int i = 0; i < 10; i++) assertTrue(gate.acquire("a").isDone());
    assertEquals(List.of(), scheduled);
    var waiting = gate.acquire("a");
    assertFalse(waiting.isDone());
    waiting.cancel(false); // gave up
    runAll(scheduled);
    for (int i = 0; i < 10; i++) gate.release("a");
    assertEquals(0, gate.inUse("a"));
    // Forgotten: a new burst starts again from one step.
    for (int i = 0; i < 10; i++) assertTrue(gate.acquire("a").isDone());
    assertFalse(gate.acquire("a").isDone());
  }

  @Test
  void theRampGoesOnWhenTheGlobalLimitHeldItBack() {
    List<Runnable> scheduled = new ArrayList<>();
    HostGate gate = new HostGate(4, 3, 2, Duration.ofMillis(100),
        (delay, task) -> scheduled.add(task));
    var b = gate.acquire("b"); // holds one of the 3 global permits
    List<CompletableFuture<Void>> a = new ArrayList<>();
    for (int i = 0; i < 4; i++) a.add(gate.acquire("a"));
    assertEquals(2, a.stream().filter(CompletableFuture::isDone).count(), "ceiling 2");
    runAll(scheduled); // ceiling 4, but the global limit (3) holds the third request back
    assertEquals(2, a.stream().filter(CompletableFuture::isDone).count());
    gate.release("b"); // the third request starts; a is now at 3 of its ceiling of 4
    assertEquals(3, a.stream().filter(CompletableFuture::isDone).count());
    gate.release("a");
    assertTrue(b.isDone());
    assertEquals(4, a.stream().filter(CompletableFuture::isDone).count());
    assertEquals(3, gate.inUse("a"));
  }

  @Test
  void aRaiseHeldBackByTheGlobalLimitIsScheduledAgainOnceTheHostIsFull() {
    List<Runnable> scheduled = new ArrayList<>();
    HostGate gate = new HostGate(6, 3, 1, Duration.ofMillis(100),
        (delay, task) -> scheduled.add(task));
    var other1 = gate.acquire("b");
    var other2 = gate.acquire("c");
    List<CompletableFuture<Void>> a = new ArrayList<>();
    for (int i = 0; i < 3; i++) a.add(gate.acquire("a"));
    assertEquals(1, a.stream().filter(CompletableFuture::isDone).count());
    assertTrue(other1.isDone() && other2.isDone());
    runAll(scheduled); // ceiling 2, global full (3 in use): a's second request waits
    assertEquals(List.of(), scheduled, "no raise while the host is below its ceiling");
    gate.release("b"); // a gets its second permit and is at its ceiling with one waiting
    assertEquals(2, a.stream().filter(CompletableFuture::isDone).count());
    assertEquals(1, scheduled.size(), "the ramp is armed again");
    gate.release("c");
    runAll(scheduled);
    assertEquals(3, a.stream().filter(CompletableFuture::isDone).count());
  }

  @Test
  void aHostIdleForLessThanItsConnectionsLiveStartsItsNextBurstAtWhatItLastUsed() {
    List<Runnable> scheduled = new ArrayList<>();
    long[] now = {0};
    HostGate gate = warmGate(scheduled, now);
    List<CompletableFuture<Void>> first = burst(gate, "a", 30);
    runAll(scheduled);
    runAll(scheduled);
    assertEquals(30, done(first), "ramped up to 30 in three steps");
    for (int i = 0; i < 30; i++) gate.release("a");
    assertEquals(0, gate.inUse("a"));

    now[0] += Duration.ofSeconds(5).toNanos(); // the pool still holds the 30 connections
    List<CompletableFuture<Void>> second = burst(gate, "a", 31);
    assertEquals(30, done(second), "starts at the 30 it used, without waiting for the ramp");
    assertEquals(1, scheduled.size(), "and ramps on from there");
    runAll(scheduled);
    assertEquals(31, done(second));
    for (int i = 0; i < 31; i++) gate.release("a");

    now[0] += Duration.ofSeconds(11).toNanos(); // longer than connections are kept: cold
    List<CompletableFuture<Void>> third = burst(gate, "a", 31);
    assertEquals(10, done(third), "one ramp step again");
    scheduled.clear();
    third.forEach(f -> f.cancel(false));
    for (int i = 0; i < 10; i++) gate.release("a");
  }

  @Test
  void aSmallerBurstLeavesItsSmallerNumberBehind() {
    List<Runnable> scheduled = new ArrayList<>();
    long[] now = {0};
    HostGate gate = warmGate(scheduled, now);
    burst(gate, "a", 40);
    runAll(scheduled);
    runAll(scheduled);
    runAll(scheduled);
    for (int i = 0; i < 40; i++) gate.release("a");
    now[0] += 1_000_000;
    burst(gate, "a", 5); // uses 5 of its 40 connections: the other 35 age on
    for (int i = 0; i < 5; i++) gate.release("a");
    now[0] += 1_000_000;
    assertEquals(10, done(burst(gate, "a", 40)), "trusts only the 5 it used last, so one step");
  }

  @Test
  void withoutAWarmStartEveryBurstRamps() {
    List<Runnable> scheduled = new ArrayList<>();
    HostGate gate = new HostGate(5000, 100_000, 10, Duration.ofMillis(100),
        (delay, task) -> scheduled.add(task));
    burst(gate, "a", 20);
    runAll(scheduled);
    for (int i = 0; i < 20; i++) gate.release("a");
    assertEquals(10, done(burst(gate, "a", 20)));
  }

  /** Ramp steps of 10 per 100 ms; a host is warm for 10 s; time is {@code now[0]}. */
  private static HostGate warmGate(List<Runnable> scheduled, long[] now) {
    return new HostGate(5000, 100_000, 10, Duration.ofMillis(100), Duration.ofSeconds(10),
        (delay, task) -> scheduled.add(task), () -> now[0]);
  }

  private static List<CompletableFuture<Void>> burst(HostGate gate, String host, int n) {
    List<CompletableFuture<Void>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(gate.acquire(host));
    return out;
  }

  private static long done(List<CompletableFuture<Void>> permits) {
    return permits.stream().filter(CompletableFuture::isDone).count();
  }

  private static void runAll(List<Runnable> scheduled) {
    List<Runnable> now = new ArrayList<>(scheduled);
    scheduled.clear();
    now.forEach(Runnable::run);
  }
}
