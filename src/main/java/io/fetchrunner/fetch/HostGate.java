package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

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
    void schedule(Duration delay, Runnable task);
  }

  /**
   * Cluster-wide permits ({@link HostLeaseClient}): with leases, a host's permits on this node
   * are also bounded by its lease, the share of per-host-concurrency the host's coordinator
   * gave this node. The gate says when a host's lease, use or demand changed; the client
   * reads {@link #leaseState} and tells the coordinator.
   */
  public interface Leases {
    void changed(String host);
  }

  /** A host's lease on this node, the permits in use and the requests waiting. */
  public record LeaseState(int lease, int inUse, int waiting) {}

  private volatile Leases leases;
  private volatile HostHealth health;
  /** Permits handed out since the start (for the lease client's figures). */
  private long acquired;

  private final int perHost;
  private final int global;
  private final int rampStep;
  private final Duration rampInterval;
  private final Scheduler scheduler;
  private final Duration warmFor;
  private final LongSupplier nanoClock;
  private final Map<String, Host> hosts = new HashMap<>();
  /** Hosts gone idle less than warmFor ago, oldest first. */
  private final LinkedHashMap<String, Warm> warm = new LinkedHashMap<>();
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
    /** Permits this node may use for the host (with leases; else unbounded). */
    int lease = Integer.MAX_VALUE;
    /** The coordinator asked to come down to this (contended); MAX_VALUE: not asked. */
    int shrinkTo = Integer.MAX_VALUE;
    boolean raiseScheduled;
    final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();

    Host(String key, int ceiling) {
      this.key = key;
      this.ceiling = ceiling;
    }
  }

  /** No ramp: every host may use {@code perHost} permits at once. */
  public HostGate(int perHost, int global) {
    this(perHost, global, perHost, Duration.ZERO, (delay, task) -> task.run());
  }

  /** A ramp, and no warm start. */
  public HostGate(int perHost, int global, int rampStep, Duration rampInterval,
      Scheduler scheduler) {
    this(perHost, global, rampStep, rampInterval, Duration.ZERO, scheduler,
        System::nanoTime);
  }

  public HostGate(int perHost, int global, int rampStep, Duration rampInterval,
      Duration warmFor, Scheduler scheduler, LongSupplier nanoClock) {
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
    boolean askLease;
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null) {
        h = newHost(host);
        hosts.put(host, h);
      }
      acquired++;
      if (h.inUse < limit(h) && inUse < global && h.waiters.isEmpty()) {
        h.inUse++;
        inUse++;
        if (h.inUse > h.peak) h.peak = h.inUse;
        return CompletableFuture.completedFuture(null);
      }
      h.waiters.add(waiter);
      if (h.inUse < limit(h)) ready.add(h);
      raiseLater = needsRaise(h);
      // Waiting on the lease: the coordinator hears of the demand (once per wait).
      askLease = h.lease != Integer.MAX_VALUE && h.inUse >= h.lease && h.waiters.size() == 1;
    }
    if (raiseLater) scheduleRaise(host);
    if (askLease) report(host);
    return waiter;
  }

  /** The permits the host may have in use now: its ramp ceiling, its lease, its back-off. */
  private int limit(Host h) {
    int limit = Math.min(h.ceiling, h.lease);
    HostHealth hh = health;
    return hh == null ? limit : Math.min(limit, hh.allowed(h.key));
  }

  /** From now on, a host's permits are also bounded by its back-off ({@link HostHealth}). */
  public void useHealth(HostHealth health) {
    this.health = health;
    health.onRaised(this::recheck);
  }

  /** The host's back-off allows more now: its waiters get the permits that freed up. */
  public void recheck(String host) {
    List<Grant> granted = new ArrayList<>();
    List<String> toRaise = new ArrayList<>();
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null) return;
      if (!h.waiters.isEmpty() && h.inUse < limit(h)) ready.add(h);
      grant(granted, toRaise);
      forgetIfIdle(h);
    }
    complete(granted);
    toRaise.forEach(this::scheduleRaise);
  }

  /** From now on, every host's permits are also bounded by its lease (a cluster of nodes). */
  public void useLeases(Leases leases) {
    this.leases = leases;
  }

  public synchronized LeaseState leaseState(String host) {
    Host h = hosts.get(host);
    return h == null ? new LeaseState(0, 0, 0)
        : new LeaseState(h.lease == Integer.MAX_VALUE ? 0 : h.lease, h.inUse, h.waiters.size());
  }

  /** Hosts with a lease or a demand now (for the lease client's periodic report). */
  public synchronized List<String> leasedHosts() {
    List<String> out = new ArrayList<>();
    for (Host h : hosts.values()) {
      if (h.lease != Integer.MAX_VALUE && (h.lease > 0 || !h.waiters.isEmpty())) out.add(h.key);
    }
    return out;
  }

  /** The coordinator granted this node {@code lease} permits for {@code host} (only raises). */
  public void leaseGranted(String host, int lease) {
    List<Grant> granted = new ArrayList<>();
    List<String> toRaise = new ArrayList<>();
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null) {
        h = newHost(host);
        hosts.put(host, h);
      }
      if (lease <= h.lease) return;
      h.lease = lease;
      if (!h.waiters.isEmpty() && h.inUse < limit(h)) ready.add(h);
      grant(granted, toRaise);
      forgetIfIdle(h);
    }
    complete(granted);
    toRaise.forEach(this::scheduleRaise);
  }

  /**
   * The coordinator asks this node to come down to {@code target} permits for {@code host}
   * (other nodes wait for it), or, with Integer.MAX_VALUE, no longer. Permits above it are
   * given back as their requests end.
   */
  public void leaseShrink(String host, int target) {
    boolean report;
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null) return;
      h.shrinkTo = target;
      report = lowerLease(h);
    }
    if (report) report(host);
  }

  /**
   * Gives back what a host's lease holds beyond what it uses: every host's spare permits when
   * {@code all}, else only above the host's shrink target. True if the lease went down.
   */
  private boolean lowerLease(Host h) {
    if (h.lease == Integer.MAX_VALUE) return false;
    int keep = Math.max(h.inUse, Math.min(h.lease, h.shrinkTo));
    if (keep >= h.lease) return false;
    h.lease = keep;
    return true;
  }

  /**
   * Periodic (the lease client, every second): hosts with nothing waiting give back the
   * permits they hold and do not use; idle hosts are forgotten. Returns the hosts whose lease
   * went down.
   */
  public List<String> trimLeases() {
    List<String> lowered = new ArrayList<>();
    synchronized (this) {
      for (Host h : List.copyOf(hosts.values())) {
        if (h.lease == Integer.MAX_VALUE || !h.waiters.isEmpty() || h.lease <= h.inUse) continue;
        h.lease = h.inUse;
        lowered.add(h.key);
        forgetIfIdle(h);
      }
    }
    return lowered;
  }

  private void report(String host) {
    Leases l = leases;
    if (l != null) l.changed(host);
  }

  /** A host's record: one ramp step, or what it last used if that was recent (warm start). */
  private Host newHost(String key) {
    Warm w = warm.remove(key);
    int ceiling = rampStep;
    if (w != null && nanoClock.getAsLong() - w.idleSinceNanos() < warmFor.toNanos()) {
      ceiling = Math.max(rampStep, Math.min(perHost, w.peak()));
    }
    Host h = new Host(key, ceiling);
    if (leases != null) h.lease = 0;
    return h;
  }

  /** Forgets {@code h} if nothing is in flight, waiting or scheduled for it. */
  private void forgetIfIdle(Host h) {
    if (h.inUse != 0 || !h.waiters.isEmpty() || h.raiseScheduled) return;
    if (h.lease != Integer.MAX_VALUE && h.lease > 0) return; // given back first (trimLeases)
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
      if (!h.waiters.isEmpty() && h.inUse < limit(h)) ready.add(h);
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
    boolean lowered;
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null || h.inUse == 0) throw new IllegalStateException("release without acquire");
      h.inUse--;
      inUse--;
      // Contended (another node waits): a permit above the shrink target goes back now.
      lowered = h.shrinkTo != Integer.MAX_VALUE && lowerLease(h);
      if (!h.waiters.isEmpty() && h.inUse < limit(h)) ready.add(h);
      grant(granted, toRaise);
      forgetIfIdle(h);
    }
    complete(granted);
    toRaise.forEach(this::scheduleRaise);
    if (lowered) report(host);
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
      if (h.waiters.isEmpty() || h.inUse >= limit(h)) {
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

  /** One host's requests now: in flight (holding a permit) and waiting for one. */
  public record HostLoad(String host, int inFlight, int waiting) {}

  /**
   * The {@code top} hosts with the most requests in flight and waiting, busiest first, and
   * the rest summed under the host {@code rest} when there is any (for GET /metrics, whose
   * host label must not grow with every host a job names). Waiters that gave up and were not
   * passed over yet are not counted.
   */
  public List<HostLoad> busiest(int top, String rest) {
    List<HostLoad> all = new ArrayList<>();
    synchronized (this) {
      for (Host h : hosts.values()) {
        int waiting = 0;
        for (CompletableFuture<Void> w : h.waiters) {
          if (!w.isDone()) waiting++;
        }
        if (h.inUse > 0 || waiting > 0) all.add(new HostLoad(h.key, h.inUse, waiting));
      }
    }
    all.sort(Comparator.comparingInt((HostLoad l) -> l.inFlight() + l.waiting())
        .reversed().thenComparing(HostLoad::host));
    if (all.size() <= top) return all;
    List<HostLoad> out = new ArrayList<>(all.subList(0, top));
    int inFlight = 0;
    int waiting = 0;
    for (HostLoad l : all.subList(top, all.size())) {
      inFlight += l.inFlight();
      waiting += l.waiting();
    }
    out.add(new HostLoad(rest, inFlight, waiting));
    return out;
  }

  /** Requests that asked for a permit since the start. */
  public synchronized long acquired() {
    return acquired;
  }

  /** Permits in use in all. */
  public synchronized int inUse() {
    return inUse;
  }
}
