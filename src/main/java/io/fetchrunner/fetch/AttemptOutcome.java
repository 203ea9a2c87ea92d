package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.List;

/**
 * How one attempt ended.
 *
 * @param retryable a later attempt may succeed (refused or reset connection, timeout, 429,
 *     502, 503, 504)
 * @param retryAfter what the server's Retry-After asked for, if it sent one
 */
public record AttemptOutcome(boolean succeeded, Integer httpStatus, long bytes, long latencyMs,
    String error, String contentType, String sha256, List<String> redirects, boolean retryable,
    Duration retryAfter) {

  static AttemptOutcome failure(Integer status, long bytes, long latencyMs, String error,
      List<String> redirects, boolean retryable) {
    return new AttemptOutcome(false, status, bytes, latencyMs, error, null, null, redirects,
        retryable, null);
  }
}
