package io.fetchrunner;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.lang.management.ManagementFactory;
import java.util.Map;
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

  private static final String MAX_IN_FLIGHT = "fetchrunner.fetch.max-in-flight";
  private static final String PER_HOST = "fetchrunner.fetch.per-host-concurrency";

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

  /** The configuration with its fetch limits fitted under the limit; what was lowered. */
  public record Fit(Config config, Optional<String> lowered) {}

  /**
   * Lowers {@code fetch.max-in-flight} (and {@code per-host-concurrency}, which never exceeds
   * it) to what {@code limit} leaves after the reserve, so that a fetch waits its turn
   * instead of failing with "Too many open files" and taking the API and the store with it.
   */
  public static Fit fit(Config config, OptionalLong limit) {
    if (limit.isEmpty()) return new Fit(config, Optional.empty());
    long l = limit.getAsLong();
    long room = l - Math.min(RESERVE, l / 4);
    int configuredInFlight = config.getInt(MAX_IN_FLIGHT);
    if (configuredInFlight <= room) return new Fit(config, Optional.empty());
    int configuredPerHost = config.getInt(PER_HOST);
    int maxInFlight = (int) Math.max(1, room);
    int perHost = Math.min(configuredPerHost, maxInFlight);
    String message = "the open-file limit is " + l + ": " + MAX_IN_FLIGHT + " lowered from "
        + configuredInFlight + " to " + maxInFlight
        + (perHost < configuredPerHost ? " and per-host-concurrency from " + configuredPerHost
            + " to " + perHost : "")
        + " (each request holds a socket; raise the limit with ulimit -n, systemd's"
        + " LimitNOFILE or Docker's ulimits)";
    Config fitted = ConfigFactory.parseMap(Map.of(MAX_IN_FLIGHT, maxInFlight, PER_HOST, perHost))
        .withFallback(config);
    return new Fit(fitted, Optional.of(message));
  }
}
