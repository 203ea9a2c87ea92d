package io.fetchrunner.fetch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Non-blocking admission of requests: at most {@code perHost} in flight to one host:port and
 * at most {@code global} in all, across all jobs. The rest wait, FIFO per host, with hosts
 * served in turn when a global permit frees up, so one busy host cannot starve the others.
 * Nothing blocks a thread: a waiter gets a future that completes when it holds a permit, and
 * gives up by cancelling it. Hosts with nothing in flight or waiting are forgotten.
 *
 * <p>Ramp: a host starts with {@code rampStep} permits, and its ceiling rises by
 * {@code rampStep} every {@code rampInterval} while requests wait for it, up to
 * {@code perHost}. Each new permit may open a new connection, and thousands of connection
 * attempts at once overflow a server's accept queue (a listen backlog is at most
 * {@code net.core.somaxconn}, often 4,096): connections then fail or stall for seconds.
 *
 * <p>Warm start: the ramp is for opening connections, and a host's pool keeps its connections
 * open for {@code warmFor} (the client's keep-alive timeout) after their last use. A host
 * that went idle less than {@code warmFor} ago therefore starts its next burst at the number
 * of permits it last had in use at once (its pool still holds that many connections), not at
 * one step. A burst that used fewer leaves the smaller number behind.
 */
public final class HostGate {
  /** Runs a task after a delay (the actor system's scheduler in the service). */
  public interface Scheduler {
    void schedule(java.time.Duration delay, Runnable task);
  }

  private final int perHost;
  private final int global;
  private final int rampStep;
  private final java.time.Duration rampInterval;
  private final Scheduler scheduler;
  private final java.time.Duration warmFor;
  private final java.util.function.LongSupplier nanoClock;
  private final Map<String, Host> hosts = new HashMap<>();
  /** Hosts gone idle less than warmFor ago, oldest first. */
  private final java.util.LinkedHashMap<String, Warm> warm = new java.util.LinkedHashMap<>();
  /** Hosts with waiters and a free per-host slot: they wait only for a global permit. */
  private final LinkedHashSet<Host> ready = new LinkedHashSet<>();
  private int inUse;

  /** At most this many idle hosts are remembered for a warm start. */
  static final int MAX_WARM_HOSTS = 10_000;

  /** A host gone idle: the most permits it had in use at once, and since when it is idle. */
  private record Warm(int peak, long idleSinceNanos) {}

  private static final class Host {
    final String key;
    int inUse;
    /** The most permits in use at once since this record was made. */
    int peak;
    int ceiling;
    boolean raiseScheduled;
    final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();

    Host(String key, int ceiling) {
      this.key = key;
      this.ceiling = ceiling;
    }
  }

  /** No ramp: every host may use {@code perHost} permits at once. */
  public HostGate(int perHost, int global) {
    this(perHost, global, perHost, java.time.Duration.ZERO, (delay, task) -> task.run());
  }

  /** A ramp, and no warm start. */
  public HostGate(int perHost, int global, int rampStep, java.time.Duration rampInterval,
      Scheduler scheduler) {
    this(perHost, global, rampStep, rampInterval, java.time.Duration.ZERO, scheduler,
        System::nanoTime);
  }

  public HostGate(int perHost, int global, int rampStep, java.time.Duration rampInterval,
      java.time.Duration warmFor, Scheduler scheduler, java.util.function.LongSupplier nanoClock) {
    if (perHost < 1 || global < 1 || rampStep < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
    this.warmFor = warmFor;
    this.nanoClock = nanoClock;
    this.perHost = perHost;
    this.global = global;
    this.rampStep = Math.min(rampStep, perHost);
    this.rampInterval = rampInterval;
    this.scheduler = scheduler;
  }

  /** A future that completes when the caller holds a permit for {@code host}. */
  public CompletableFuture<Void> acquire(String host) {
    CompletableFuture<Void> waiter = new CompletableFuture<>();
    boolean raiseLater;
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null) {
        h = newHost(host);
        hosts.put(host, h);
      }
      if (h.inUse < h.ceiling && inUse < global && h.waiters.isEmpty()) {
        h.inUse++;
        inUse++;
        if (h.inUse > h.peak) h.peak = h.inUse;
        return CompletableFuture.completedFuture(null);
      }
      h.waiters.add(waiter);
      if (h.inUse < h.ceiling) ready.add(h);
      raiseLater = needsRaise(h);
    }
    if (raiseLater) scheduleRaise(host);
    return waiter;
  }

  /** A host's record: one ramp step, or what it last used if that was recent (warm start). */
  private Host newHost(String key) {
    Warm w = warm.remove(key);
    int ceiling = rampStep;
    if (w != null && nanoClock.getAsLong() - w.idleSinceNanos() < warmFor.toNanos()) {
      ceiling = Math.max(rampStep, Math.min(perHost, w.peak()));
    }
    return new Host(key, ceiling);
  }

  /** Forgets {@code h} if nothing is in flight, waiting or scheduled for it. */
  private void forgetIfIdle(Host h) {
    if (h.inUse != 0 || !h.waiters.isEmpty() || h.raiseScheduled) return;
    if (!hosts.remove(h.key, h)) return; // already forgotten
    if (warmFor.isZero()) return;
    long now = nanoClock.getAsLong();
    warm.put(h.key, new Warm(h.peak, now));
    // Drop what is no longer warm (oldest first), and never keep more than MAX_WARM_HOSTS.
    var it = warm.values().iterator();
    while (it.hasNext()) {
      Warm w = it.next();
      if (warm.size() <= MAX_WARM_HOSTS && now - w.idleSinceNanos() < warmFor.toNanos()) break;
      it.remove();
    }
  }

  /** True when {@code h} waits on its ramp ceiling and no raise is scheduled yet (marks it). */
  private boolean needsRaise(Host h) {
    if (h.raiseScheduled || h.ceiling >= perHost || h.inUse < h.ceiling
        || h.waiters.isEmpty()) {
      return false;
    }
    h.raiseScheduled = true;
    return true;
  }

  /** The ramp: one more step of permits for {@code host}, handed to its waiters. */
  private void raise(String host) {
    List<Grant> granted = new ArrayList<>();
    List<String> toRaise = new ArrayList<>();
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null) return;
      h.raiseScheduled = false;
      h.ceiling = Math.min(perHost, h.ceiling + rampStep);
      if (!h.waiters.isEmpty() && h.inUse < h.ceiling) ready.add(h);
      grant(granted, toRaise);
      if (needsRaise(h) && !toRaise.contains(host)) toRaise.add(host);
      forgetIfIdle(h);
    }
    complete(granted);
    toRaise.forEach(this::scheduleRaise);
  }

  /** Schedules a raise marked by {@link #needsRaise}; raises now if the scheduler refuses. */
  private void scheduleRaise(String host) {
    try {
      scheduler.schedule(rampInterval, () -> raise(host));
    } catch (RuntimeException shuttingDown) {
      raise(host);
    }
  }

  private void complete(List<Grant> granted) {
    // Completed outside the lock: a waiter's continuation may start a request right here.
    for (Grant g : granted) {
      if (!g.waiter.complete(null)) release(g.host); // it gave up meanwhile: pass the permit on
    }
  }

  /** Returns a permit for {@code host} and hands free permits to waiters. */
  public void release(String host) {
    List<Grant> granted = new ArrayList<>();
    List<String> toRaise = new ArrayList<>();
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null || h.inUse == 0) throw new IllegalStateException("release without acquire");
      h.inUse--;
      inUse--;
      if (!h.waiters.isEmpty()) ready.add(h);
      grant(granted, toRaise);
      forgetIfIdle(h);
    }
    complete(granted);
    toRaise.forEach(this::scheduleRaise);
  }

  private record Grant(String host, CompletableFuture<Void> waiter) {}

  /**
   * Grants permits to waiting hosts in turn while global permits are free; hosts it fills up
   * to their ramp ceiling while requests still wait go into {@code toRaise}.
   */
  private void grant(List<Grant> granted, List<String> toRaise) {
    Iterator<Host> it = ready.iterator();
    while (inUse < global && it.hasNext()) {
      Host h = it.next();
      CompletableFuture<Void> w = nextLive(h);
      if (w != null) {
        h.inUse++;
        inUse++;
        if (h.inUse > h.peak) h.peak = h.inUse;
        granted.add(new Grant(h.key, w));
      }
      if (h.waiters.isEmpty() || h.inUse >= h.ceiling) {
        it.remove();
        if (needsRaise(h)) toRaise.add(h.key);
        forgetIfIdle(h);
      } else {
        // Round robin: move this host to the back before serving the next one.
        it.remove();
        ready.add(h);
        it = ready.iterator();
      }
    }
  }

  /** The oldest waiter that has not given up, or null. */
  private static CompletableFuture<Void> nextLive(Host h) {
    while (!h.waiters.isEmpty()) {
      CompletableFuture<Void> w = h.waiters.poll();
      if (!w.isDone()) return w;
    }
    return null;
  }

  /** Permits in use for {@code host} (for tests and metrics). */
  public synchronized int inUse(String host) {
    Host h = hosts.get(host);
    return h == null ? 0 : h.inUse;
  }

  /** Requests in flight and waiting for {@code host}. */
  public synchronized int wanted(String host) {
    Host h = hosts.get(host);
    return h == null ? 0 : h.inUse + h.waiters.size();
  }

  /** Permits in use in all. */
  public synchronized int inUse() {
    return inUse;
  }
}
