package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One job's own politeness, shared by its workers (runtime only): its per-host pacing (a
 * rate and a minimum delay per host group, which a robots.txt Crawl-delay may raise), whether
 * its requests to an unavailable host fail at once, and whether it obeys robots.txt. The
 * service's limits apply on top: a job can only be gentler than the service.
 */
public final class JobPace {
  /** No pacing of its own, fail-fast, robots.txt not consulted (webhooks, tests). */
  public static final JobPace NONE =
      new JobPace(Duration.ZERO, Duration.ZERO, HostGroups.HOST, true, false);

  /** The spacing its rate and minimum delay ask for together. */
  private final Duration interval;
  /** The spacing that is never shortened to catch up with a late turn. */
  private final Duration minDelay;
  private final String groupBy;
  private final boolean failFast;
  private final boolean robots;
  /** Per host group: System.nanoTime() before which the job sends it nothing more. */
  private final Map<String, Long> nextAt = new ConcurrentHashMap<>();
  /** Per host group: a Crawl-delay longer than the job's own interval. */
  private final Map<String, Duration> crawlDelay = new ConcurrentHashMap<>();

  /**
   * @param interval the spacing of the job's requests to one host (its rate and minimum
   *     delay together)
   * @param minDelay its minimum delay alone: never shortened
   */
  public JobPace(Duration interval, Duration minDelay, String groupBy, boolean failFast,
      boolean robots) {
    this.interval = interval;
    this.minDelay = minDelay;
    this.groupBy = groupBy == null ? HostGroups.HOST : groupBy;
    this.failFast = failFast;
    this.robots = robots;
  }

  public String group(String hostKey) {
    return HostGroups.of(hostKey, groupBy);
  }

  public String groupBy() {
    return groupBy;
  }

  public boolean failFast() {
    return failFast;
  }

  public boolean robots() {
    return robots;
  }

  /** Whether the job paces any host (its own interval, or a Crawl-delay). */
  boolean paces() {
    return !interval.isZero() || !crawlDelay.isEmpty();
  }

  /** The spacing of the job's requests to {@code group}. */
  Duration interval(String group) {
    Duration crawl = crawlDelay.get(group);
    return crawl != null && crawl.compareTo(interval) > 0 ? crawl : interval;
  }

  /** robots.txt asked for at least {@code delay} between requests to the host. */
  public void crawlDelay(String hostKey, Duration delay) {
    if (delay != null && delay.compareTo(interval) > 0) crawlDelay.put(group(hostKey), delay);
  }

  long nextAt(String group) {
    return nextAt.getOrDefault(group, Long.MIN_VALUE);
  }

  /**
   * Takes the job's turn at {@code group} if it is due by {@code nowNanos} (a host's pace
   * queue asks; queues of two hosts of one domain may ask at once): true when taken.
   */
  synchronized boolean take(String group, long nowNanos) {
    long at = nextAt(group);
    if (at != Long.MIN_VALUE && nowNanos < at - Pace.EARLY) return false;
    sent(group, nowNanos);
    return true;
  }

  private void sent(String group, long nowNanos) {
    Duration i = interval(group);
    if (i.isZero()) return;
    Duration crawl = crawlDelay.get(group);
    Duration strict = crawl != null && crawl.compareTo(minDelay) > 0 ? crawl : minDelay;
    nextAt.put(group, Pace.next(nextAt(group), nowNanos, i.toNanos(), strict.toNanos()));
  }
}
