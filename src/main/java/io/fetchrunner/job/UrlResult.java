package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;

/**
 * The final result of one URL: the status of its last response (null when none arrived),
 * body bytes read, time from request sent to last byte, attempts made, and why it failed.
 */
public record UrlResult(
    UrlState state, Integer httpStatus, long bytes, long latencyMs, int attempts, String error)
    implements CborSerializable {

  public static UrlResult cancelled() {
    return new UrlResult(UrlState.CANCELLED, null, 0, 0, 0, null);
  }
}
