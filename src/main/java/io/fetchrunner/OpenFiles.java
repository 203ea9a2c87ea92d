package io.fetchrunner;

import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The process's open-file limit, and the fetch limits fitted under it. Every request in flight
 * holds a socket; so do the API's connections, the store's files and the jars. The JVM already
 * raises its soft limit to the hard one at start (HotSpot's {@code MaxFDLimit}, on by default),
 * which is as far as a process may raise it; beyond that the limit is the operator's (ulimit,
 * systemd's LimitNOFILE, Docker's ulimits).
 */
public final class OpenFiles {
  /** File descriptors kept for everything but fetches: at most this many, or a quarter. */
  static final int RESERVE = 1024;

  private OpenFiles() {}

  /** The limit, when the platform reports one. */
  public static OptionalLong limit() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long max = unix.getMaxFileDescriptorCount();
      if (max > 0) return OptionalLong.of(max);
    }
    return OptionalLong.empty();
  }

  /** Settings whose fetch limits fit under {@code limit}, and what was lowered (if anything). */
  public record Fit(Settings settings, Optional<String> lowered) {}

  /**
   * Lowers {@code fetch.max-in-flight} (and {@code per-host-concurrency}, which never exceeds
   * it) to what {@code limit} leaves after the reserve, so that a fetch waits its turn
   * instead of failing with "Too many open files" and taking the API and the store with it.
   */
  public static Fit fit(Settings settings, OptionalLong limit) {
    if (limit.isEmpty()) return new Fit(settings, Optional.empty());
    long l = limit.getAsLong();
    long room = l - Math.min(RESERVE, l / 4);
    var f = settings.fetch();
    if (f.maxInFlight() <= room) return new Fit(settings, Optional.empty());
    int maxInFlight = (int) Math.max(1, room);
    int perHost = Math.min(f.perHostConcurrency(), maxInFlight);
    var fetch = new Settings.Fetch(f.defaultTimeout(), f.maxTimeout(), f.connectTimeout(),
        f.maxBodyBytes(), f.maxBodyBytesLimit(), perHost, maxInFlight, f.userAgent(),
        f.retries(), f.maxRetries(), f.retryBackoffMin(), f.retryBackoffMax(),
        f.maxRetryAfter(), f.maxRedirects(), f.maxRedirectsLimit(), f.allowTargets(),
        f.denyTargets(), f.privateTargets(), f.connectionRampStep(),
        f.connectionRampInterval(), f.tlsCaFile());
    String message = "the open-file limit is " + l + ": fetchrunner.fetch.max-in-flight lowered"
        + " from " + f.maxInFlight() + " to " + maxInFlight
        + (perHost < f.perHostConcurrency() ? " and per-host-concurrency from "
            + f.perHostConcurrency() + " to " + perHost : "")
        + " (each request holds a socket; raise the limit with ulimit -n, systemd's"
        + " LimitNOFILE or Docker's ulimits)";
    var s = settings;
    return new Fit(new Settings(s.http(), s.dataDir(), s.store(), s.jobs(), fetch, s.history(),
        s.shutdownDrainTimeout(), s.storeWatchInterval()), Optional.of(message));
  }
}
