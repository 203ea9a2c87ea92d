package io.fetchrunner.fetch;

import io.fetchrunner.HostSettings;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * When a request holding its host's permit may be sent: the pacing of each host (a token
 * bucket of one: at most one request per interval, the interval being the service's rate and
 * minimum delay, stretched while the host is backed off), the job's own pacing of the host
 * ({@link JobPace}), and the host's back-off block (Retry-After). Requests wait, FIFO per
 * host, without holding a thread; one whose job may not send yet lets the next job's pass.
 * A host with no pacing, no waiters and no block costs two map lookups.
 */
public final class Pace {
  private final Duration interval;
  /** The service's minimum delay alone: never shortened to catch up. */
  private final long minDelay;
  private final HostHealth health;
  private final HostGate.Scheduler scheduler;
  private final LongSupplier nanos;
  private final Map<String, Queue> queues = new ConcurrentHashMap<>();

  private record Waiter(String group, JobPace job, CompletableFuture<Void> ready) {}

  private static final class Queue {
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** System.nanoTime() before which the host gets no request (its interval). */
    long nextAt = Long.MIN_VALUE;
    /** When a serve() is scheduled (Long.MAX_VALUE: none). */
    long wakeAt = Long.MAX_VALUE;
  }

  public Pace(HostSettings settings, HostHealth health, HostGate.Scheduler scheduler,
      LongSupplier nanos) {
    this.interval = settings.interval();
    this.minDelay = settings.minDelay().toNanos();
    this.health = health;
    this.scheduler = scheduler;
    this.nanos = nanos;
  }

  /**
   * Completes when a request to {@code key} (the service's host group) of a job pacing
   * {@code hostKey} with {@code job} may be sent. Cancelling the future gives up its turn.
   */
  public CompletableFuture<Void> ready(String key, String hostKey, JobPace job) {
    boolean jobPaces = job != null && job.paces();
    if (interval.isZero() && !jobPaces && health.blockedUntil(key) == 0
        && !queues.containsKey(key)) {
      return CompletableFuture.completedFuture(null);
    }
    String group = jobPaces ? job.group(hostKey) : null;
    Waiter w = new Waiter(group, jobPaces ? job : null, new CompletableFuture<>());
    Queue q;
    while (true) {
      q = queues.computeIfAbsent(key, k -> new Queue());
      synchronized (q) {
        if (queues.get(key) != q) continue; // emptied and dropped meanwhile: take the new one
        q.waiters.add(w);
        break;
      }
    }
    serve(key, q);
    return w.ready();
  }

  /** A turn this close to its time is taken (the scheduler's tick is about 10 ms). */
  static final long EARLY = 1_000_000;

  /**
   * The next turn after one taken {@code now}: one interval after the turn that was due (a
   * timer that fired late does not push every later turn back: the rate holds), or after now
   * when the host was idle for longer than an interval (no burst makes up for idle time); and
   * never less than {@code strict} (a minimum delay) after now.
   */
  static long next(long due, long now, long step, long strict) {
    long byRate = due != Long.MIN_VALUE && now - due < step ? due + step : now + step;
    return Math.max(byRate, now + strict);
  }

  /** The host's interval now: the service's, stretched by back-off. */
  private long intervalNanos(String key) {
    if (interval.isZero()) return 0;
    return (long) (interval.toNanos() / health.rateFactor(key));
  }

  private void serve(String key, Queue q) {
    List<CompletableFuture<Void>> go = new ArrayList<>();
    long wake;
    synchronized (q) {
      long now = nanos.getAsLong();
      if (q.wakeAt != Long.MAX_VALUE && now >= q.wakeAt) q.wakeAt = Long.MAX_VALUE;
      long earliestJob = Long.MAX_VALUE;
      while (true) {
        long blocked = health.blockedUntil(key);
        long hostAt = Math.max(q.nextAt, blocked == 0 ? Long.MIN_VALUE : blocked);
        if (hostAt != Long.MIN_VALUE && now < hostAt - EARLY) {
          earliestJob = Math.min(earliestJob, hostAt);
          break;
        }
        Waiter chosen = null;
        earliestJob = Long.MAX_VALUE;
        for (Iterator<Waiter> it = q.waiters.iterator(); it.hasNext(); ) {
          Waiter w = it.next();
          if (w.ready().isDone()) {
            it.remove(); // gave up
            continue;
          }
          if (w.job() == null || w.job().take(w.group(), now)) {
            chosen = w;
            it.remove();
            break;
          }
          earliestJob = Math.min(earliestJob, w.job().nextAt(w.group()));
        }
        if (chosen == null) break;
        long step = intervalNanos(key);
        q.nextAt = step == 0 ? Long.MIN_VALUE
            : next(q.nextAt, now, step, (long) (minDelay / health.rateFactor(key)));
        go.add(chosen.ready());
      }
      if (q.waiters.isEmpty()) {
        // Kept until its interval has passed (the next request must wait for it), then
        // dropped at a last wake-up.
        wake = now >= q.nextAt ? Long.MAX_VALUE : q.nextAt;
        if (wake == Long.MAX_VALUE) queues.remove(key, q);
      } else {
        wake = earliestJob;
      }
      if (wake != Long.MAX_VALUE && wake < q.wakeAt) {
        q.wakeAt = wake;
      } else {
        wake = Long.MAX_VALUE; // a wake-up at or before it is already scheduled
      }
    }
    // Completed outside the lock: a waiter's continuation opens its connection right here.
    go.forEach(f -> f.complete(null));
    if (wake != Long.MAX_VALUE) {
      long delay = Math.max(0, wake - nanos.getAsLong());
      try {
        scheduler.schedule(Duration.ofNanos(delay), () -> serve(key, q));
      } catch (RuntimeException shuttingDown) {
        // the system stops: nothing more is sent
      }
    }
  }

  /** Hosts with requests waiting for their turn now (metrics). */
  public int waitingHosts() {
    return queues.size();
  }
}
