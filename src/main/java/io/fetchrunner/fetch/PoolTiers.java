package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;

/**
 * Which of two pool sizes a host's requests use. Pekko HTTP gives each host (and settings) a
 * pool that allocates its connection slots and request buffer up front, 130 to 170 bytes per
 * slot of max-connections: a pool sized for 10,000 connections costs about 1.6 MB whether it
 * ever opens them or not (bench/PoolMemory.java, docs/BENCHMARKS.md), so sizing every host's
 * pool for {@code per-host-concurrency} would cost gigabytes in a job over a thousand hosts. Hosts
 * therefore get a small pool ({@link #SMALL} connections), and a large one
 * ({@code per-host-concurrency}) only when more than {@code SMALL} requests may go to them at
 * once: a job that asks for that many to one host (its hint), or the requests in flight and
 * waiting for the host across jobs. A host stays large while its large pool keeps
 * connections open ({@code keptFor} after its last request), so that a burst after a burst
 * finds its connections; after that it is small again.
 */
final class PoolTiers {
  /** Connections of a host's small pool (the most a host gets without a large pool). */
  static final int SMALL = 1024;

  private final ConnectionPoolSettings small;
  private final ConnectionPoolSettings large;
  private final long keptForNanos;
  private final LongSupplier nanoClock;
  /** Hosts using the large pool, and when each last sent a request through it. */
  private final ConcurrentHashMap<String, Long> largeHosts = new ConcurrentHashMap<>();

  /**
   * @param base the pool settings but for max-connections and max-open-requests
   * @param perHost the most requests in flight to one host (the large pool's connections)
   */
  PoolTiers(ConnectionPoolSettings base, int perHost, Duration keptFor, LongSupplier nanoClock) {
    this.small = sized(base, Math.min(perHost, SMALL));
    this.large = perHost > SMALL ? sized(base, perHost) : null;
    // Zero: connections are never closed for idleness, so a large host stays large.
    this.keptForNanos = keptFor.isZero() ? Long.MAX_VALUE : keptFor.toNanos();
    this.nanoClock = nanoClock;
  }

  /**
   * max-connections, and a queue (max-open-requests, a power of two) with room for four times
   * as many: requests abandoned after their timeout still hold a connection while they drain.
   */
  private static ConnectionPoolSettings sized(ConnectionPoolSettings base, int connections) {
    return base.withMaxConnections(connections)
        .withMaxOpenRequests(HttpFetcher.nextPowerOfTwo(connections * 4));
  }

  /** The settings of the small pool (all hosts' when per-host-concurrency is at most SMALL). */
  ConnectionPoolSettings small() {
    return small;
  }

  /**
   * The pool for a request to {@code host}: {@code hint} is how many requests its job may send
   * to the host at once, {@code wanted} how many are in flight and waiting for it in all.
   */
  ConnectionPoolSettings choose(String host, int hint, IntSupplier wanted) {
    if (large == null) return small;
    long now = nanoClock.getAsLong();
    Long last = largeHosts.get(host);
    boolean warm = last != null && now - last < keptForNanos;
    if (warm || hint > SMALL || wanted.getAsInt() > SMALL) {
      if (largeHosts.put(host, now) == null) forgetCold(now);
      return large;
    }
    if (last != null) largeHosts.remove(host, last);
    return small;
  }

  /** Drops the hosts whose large pool has had no request for longer than keptFor. */
  private void forgetCold(long now) {
    largeHosts.values().removeIf(last -> now - last >= keptForNanos);
  }

  /** Hosts using the large pool now (for tests). */
  int largeHosts() {
    return largeHosts.size();
  }
}
