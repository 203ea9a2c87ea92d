package io.fetchrunner;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code fetchrunner.notify} section: how webhooks (a job's {@code notify}) are sent.
 *
 * @param secret the HMAC-SHA256 key of the signature; webhooks are refused while it is empty
 * @param timeout one delivery attempt, from the request sent to its answer
 * @param retryFor how long after the event a delivery that fails is tried again
 */
public record NotifySettings(String secret, Duration timeout, Duration retryFor,
    Duration backoffMin, Duration backoffMax) {

  public boolean enabled() {
    return !secret.isBlank();
  }

  /** As records print themselves, without the secret. */
  @Override
  public String toString() {
    return "NotifySettings[secret=" + (secret.isBlank() ? "" : Secrets.MASK) + ", timeout="
        + timeout + ", retryFor=" + retryFor + ", backoffMin=" + backoffMin + ", backoffMax="
        + backoffMax + "]";
  }

  static NotifySettings from(Config c) {
    var s = new NotifySettings(c.getString("notify.secret"), c.getDuration("notify.timeout"),
        c.getDuration("notify.retry-for"), c.getDuration("notify.retry-backoff-min"),
        c.getDuration("notify.retry-backoff-max"));
    require(!s.timeout.isNegative() && !s.timeout.isZero(), "fetchrunner.notify.timeout",
        "must be positive");
    require(!s.retryFor.isNegative(), "fetchrunner.notify.retry-for", "must not be negative");
    require(!s.backoffMin.isNegative() && !s.backoffMin.isZero()
            && s.backoffMin.compareTo(s.backoffMax) <= 0,
        "fetchrunner.notify.retry-backoff-min", "must be positive and at most retry-backoff-max");
    return s;
  }

  private static void require(boolean ok, String key, String rule) {
    if (!ok) throw new IllegalArgumentException("configuration: " + key + " " + rule);
  }
}
