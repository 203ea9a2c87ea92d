package io.fetchrunner;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * How politely the service treats each host, across all jobs: the {@code fetchrunner.fetch}
 * sections {@code per-host}, {@code backoff}, {@code host-unavailable} and {@code robots}.
 *
 * @param ratePerSecond requests per second to one host at most, all jobs together (0: no limit)
 * @param minDelay between two requests to one host at least, all jobs together
 * @param groupBy what "one host" is: {@code host} (host:port) or {@code domain} (the
 *     registrable domain: a.example.com and b.example.com are one)
 * @param backoffStatuses answers that slow a host down (429 and 503 by default)
 * @param failureStreak connection failures or timeouts in a row that slow a host down
 * @param defaultBlock how long a host answering a back-off status without Retry-After gets no
 *     requests
 * @param maxBlock the longest Retry-After obeyed for a whole host
 * @param recoverAfter a slowed host gets one step of its limits back after this long without
 *     trouble
 * @param recoverSteps steps from the first slow-down back to full speed
 * @param unavailableAfter connection failures in a row after which a host's further requests
 *     fail at once as {@code host-unavailable} (0: never)
 * @param unavailableFor how long such a host is skipped before one request tries it again
 */
public record HostSettings(double ratePerSecond, Duration minDelay, String groupBy,
    Set<Integer> backoffStatuses, int failureStreak, Duration defaultBlock, Duration maxBlock,
    Duration recoverAfter, int recoverSteps, int unavailableAfter, Duration unavailableFor,
    Robots robots) {

  public static final List<String> GROUPS = List.of("host", "domain");

  /**
   * robots.txt for jobs that obey it: fetched once per origin with {@code timeout}, at most
   * {@code maxBytes} read, kept for {@code expiry} ({@code errorExpiry} when it could not be
   * fetched); Crawl-delay obeyed up to {@code maxCrawlDelay}; at most {@code maxHosts} kept.
   */
  public record Robots(Duration timeout, long maxBytes, Duration expiry, Duration errorExpiry,
      Duration maxCrawlDelay, int maxHosts) {}

  /** No pacing, back-off on 429 and 503 (tests that build a fetcher by hand). */
  public static HostSettings defaults() {
    return new HostSettings(0, Duration.ZERO, "host", Set.of(429, 503), 3,
        Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(5), 10, 10,
        Duration.ofSeconds(30), new Robots(Duration.ofSeconds(10), 512 * 1024,
            Duration.ofHours(24), Duration.ofMinutes(1), Duration.ofSeconds(60), 10_000));
  }

  /** The interval between two requests to one host its rate and minimum delay allow. */
  public Duration interval() {
    return interval(ratePerSecond, minDelay);
  }

  /** The spacing a rate (0: none) and a minimum delay ask for together: the larger. */
  public static Duration interval(double ratePerSecond, Duration minDelay) {
    Duration byRate = ratePerSecond > 0
        ? Duration.ofNanos((long) (1_000_000_000L / ratePerSecond)) : Duration.ZERO;
    return byRate.compareTo(minDelay) > 0 ? byRate : minDelay;
  }

  static HostSettings from(Config c) {
    var s = new HostSettings(
        c.getDouble("fetch.per-host.rate-per-second"),
        c.getDuration("fetch.per-host.min-delay"),
        c.getString("fetch.per-host.group-by"),
        Set.copyOf(new TreeSet<>(c.getIntList("fetch.backoff.statuses"))),
        c.getInt("fetch.backoff.failure-streak"),
        c.getDuration("fetch.backoff.default-block"),
        c.getDuration("fetch.backoff.max-block"),
        c.getDuration("fetch.backoff.recover-after"),
        c.getInt("fetch.backoff.recover-steps"),
        c.getInt("fetch.host-unavailable.after"),
        c.getDuration("fetch.host-unavailable.retry-after"),
        new Robots(c.getDuration("fetch.robots.timeout"),
            c.getBytes("fetch.robots.max-bytes"),
            c.getDuration("fetch.robots.expiry"),
            c.getDuration("fetch.robots.error-expiry"),
            c.getDuration("fetch.robots.max-crawl-delay"),
            c.getInt("fetch.robots.max-hosts")));
    require(s.ratePerSecond >= 0 && s.ratePerSecond <= 100_000,
        "fetchrunner.fetch.per-host.rate-per-second", "must be 0 (no limit) to 100000");
    require(!s.minDelay.isNegative() && s.minDelay.compareTo(Duration.ofHours(1)) <= 0,
        "fetchrunner.fetch.per-host.min-delay", "must be 0 to 1h");
    require(GROUPS.contains(s.groupBy), "fetchrunner.fetch.per-host.group-by",
        "must be host or domain");
    require(s.backoffStatuses.stream().allMatch(x -> x >= 400 && x <= 599),
        "fetchrunner.fetch.backoff.statuses", "must be HTTP statuses 400..599");
    require(s.failureStreak >= 1, "fetchrunner.fetch.backoff.failure-streak",
        "must be at least 1");
    require(positive(s.defaultBlock), "fetchrunner.fetch.backoff.default-block",
        "must be positive");
    require(s.maxBlock.compareTo(s.defaultBlock) >= 0, "fetchrunner.fetch.backoff.max-block",
        "must be at least default-block");
    require(positive(s.recoverAfter), "fetchrunner.fetch.backoff.recover-after",
        "must be positive");
    require(s.recoverSteps >= 1 && s.recoverSteps <= 1000,
        "fetchrunner.fetch.backoff.recover-steps", "must be 1..1000");
    require(s.unavailableAfter >= 0, "fetchrunner.fetch.host-unavailable.after",
        "must be 0 (never) or more");
    require(positive(s.unavailableFor), "fetchrunner.fetch.host-unavailable.retry-after",
        "must be positive");
    Robots r = s.robots;
    require(positive(r.timeout), "fetchrunner.fetch.robots.timeout", "must be positive");
    require(r.maxBytes >= 1024, "fetchrunner.fetch.robots.max-bytes", "must be at least 1k");
    require(positive(r.expiry) && positive(r.errorExpiry),
        "fetchrunner.fetch.robots.expiry", "and error-expiry must be positive");
    require(positive(r.maxCrawlDelay), "fetchrunner.fetch.robots.max-crawl-delay",
        "must be positive");
    require(r.maxHosts >= 1, "fetchrunner.fetch.robots.max-hosts", "must be at least 1");
    return s;
  }

  private static boolean positive(Duration d) {
    return !d.isNegative() && !d.isZero();
  }

  private static void require(boolean ok, String key, String rule) {
    if (!ok) throw new IllegalArgumentException("configuration: " + key + " " + rule);
  }
}
