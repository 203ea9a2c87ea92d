package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.List;

/**
 * How one attempt ended.
 *
 * @param httpStatus the status of the last response whose headers arrived, also when its body
 *     then failed; null when none arrived
 * @param bytes body bytes received, also when the body then failed
 * @param errorKind what went wrong, null on success
 * @param retryable a later attempt may succeed (refused, reset or closed connection, timeout,
 *     429, 502, 503, 504)
 * @param retryAfter what the server's Retry-After asked for, if it sent one
 * @param etag the final response's ETag, if any (sent back as If-None-Match by a conditional
 *     run)
 * @param lastModified the final response's Last-Modified, if any (sent back as
 *     If-Modified-Since)
 */
public record AttemptOutcome(boolean succeeded, Integer httpStatus, long bytes, long latencyMs,
    String error, ErrorKind errorKind, String contentType, String sha256, List<String> redirects,
    boolean retryable, Duration retryAfter, String etag, String lastModified) {

  /** Without validators. */
  public AttemptOutcome(boolean succeeded, Integer httpStatus, long bytes, long latencyMs,
      String error, ErrorKind errorKind, String contentType, String sha256,
      List<String> redirects, boolean retryable, Duration retryAfter) {
    this(succeeded, httpStatus, bytes, latencyMs, error, errorKind, contentType, sha256,
        redirects, retryable, retryAfter, null, null);
  }

  /** A 304 to a conditional request: the resource is as the previous run got it. */
  public boolean notModified() {
    return succeeded && httpStatus != null && httpStatus == 304;
  }

  public static AttemptOutcome failure(Integer status, long bytes, long latencyMs, ErrorKind kind,
      String error, List<String> redirects, boolean retryable) {
    return new AttemptOutcome(false, status, bytes, latencyMs, error, kind, null, null,
        redirects, retryable, null);
  }
}
