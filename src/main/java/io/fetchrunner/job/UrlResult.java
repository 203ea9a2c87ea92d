package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import io.fetchrunner.fetch.ErrorKind;
import io.fetchrunner.Secrets;
import java.time.Instant;
import java.util.List;

/**
 * The final result of one URL.
 *
 * @param httpStatus status of the last response (null when none arrived)
 * @param bytes body bytes read in the last attempt
 * @param latencyMs time spent in requests, summed over attempts (waits between attempts
 *     are not counted): what fetching this URL alone would have cost
 * @param attempts requests made, counting retries (redirect hops are part of one attempt)
 * @param error why it failed, for a person; null unless FAILED
 * @param contentType the final response's Content-Type, if any
 * @param sha256 hex SHA-256 of the final body, when the job asked for it
 * @param redirects the URLs the last attempt was redirected to, in order
 * @param earlierAttempts how each failed attempt before the last one ended
 * @param errorKind why it failed, as one of the words of {@link ErrorKind} (FAILED and
 *     CANCELLED results); results stored before it existed get it from their error text
 * @param startedAt when the first attempt's request was sent (its end less its latency), for
 *     a job's waterfall; null for cancelled URLs and results stored before it existed
 * @param etag the final response's ETag, if it had one (a conditional run sends it back)
 * @param lastModified the final response's Last-Modified, if it had one
 * @param notModified true when the final response was a 304 to a conditional request: the
 *     resource is as the previous run got it (a success); null when not asked conditionally
 * @param delayed true when a request of the URL waited for its host because the host was
 *     backed off (429, 503, failures in a row); null otherwise
 */
public record UrlResult(
    UrlState state, Integer httpStatus, long bytes, long latencyMs, int attempts, String error,
    String contentType, String sha256, List<String> redirects, List<Attempt> earlierAttempts,
    String errorKind, Instant startedAt, String etag, String lastModified, Boolean notModified,
    Boolean delayed)
    implements CborSerializable {

  /** One failed attempt that was retried. */
  public record Attempt(Integer httpStatus, long latencyMs, String error, String errorKind)
      implements CborSerializable {
    public Attempt {
      if (errorKind == null && error != null) {
        errorKind = ErrorKind.fromStoredText(error).wire();
      }
    }

    public Attempt(Integer httpStatus, long latencyMs, String error) {
      this(httpStatus, latencyMs, error, null);
    }

    /** As shown: see {@link UrlResult#shown()}. */
    public Attempt shown() {
      String e = Secrets.text(error);
      return e == error ? this : new Attempt(httpStatus, latencyMs, e, errorKind);
    }

    /** Each attempt as shown (the same list when none changes). */
    public static List<Attempt> shown(List<Attempt> attempts) {
      return attempts.stream().allMatch(a -> a.shown() == a)
          ? attempts : attempts.stream().map(Attempt::shown).toList();
    }
  }

  public UrlResult {
    redirects = redirects == null ? List.of() : List.copyOf(redirects);
    earlierAttempts = earlierAttempts == null ? List.of() : List.copyOf(earlierAttempts);
    if (errorKind == null) {
      if (state == UrlState.CANCELLED) {
        errorKind = ErrorKind.CANCELLED.wire();
      } else if (state == UrlState.FAILED) {
        errorKind = ErrorKind.fromStoredText(error).wire();
      }
    }
  }

  /** A result not delayed by host back-off (as one stored before that was kept). */
  public UrlResult(UrlState state, Integer httpStatus, long bytes, long latencyMs, int attempts,
      String error, String contentType, String sha256, List<String> redirects,
      List<Attempt> earlierAttempts, String errorKind, Instant startedAt, String etag,
      String lastModified, Boolean notModified) {
    this(state, httpStatus, bytes, latencyMs, attempts, error, contentType, sha256, redirects,
        earlierAttempts, errorKind, startedAt, etag, lastModified, notModified, null);
  }

  /** A result without validators (as one stored before they were kept). */
  public UrlResult(UrlState state, Integer httpStatus, long bytes, long latencyMs, int attempts,
      String error, String contentType, String sha256, List<String> redirects,
      List<Attempt> earlierAttempts, String errorKind, Instant startedAt) {
    this(state, httpStatus, bytes, latencyMs, attempts, error, contentType, sha256, redirects,
        earlierAttempts, errorKind, startedAt, null, null, null);
  }

  /** A result without its start time (as one stored before it existed). */
  public UrlResult(UrlState state, Integer httpStatus, long bytes, long latencyMs, int attempts,
      String error, String contentType, String sha256, List<String> redirects,
      List<Attempt> earlierAttempts, String errorKind) {
    this(state, httpStatus, bytes, latencyMs, attempts, error, contentType, sha256, redirects,
        earlierAttempts, errorKind, null);
  }

  /** A result without its kind: named from its state and error text (as a stored one). */
  public UrlResult(UrlState state, Integer httpStatus, long bytes, long latencyMs, int attempts,
      String error, String contentType, String sha256, List<String> redirects,
      List<Attempt> earlierAttempts) {
    this(state, httpStatus, bytes, latencyMs, attempts, error, contentType, sha256, redirects,
        earlierAttempts, null);
  }

  /**
   * The result as the service shows it: credentials in its redirects and error texts
   * redacted ({@link Secrets}); the stored result keeps them. {@code this} when there are none.
   */
  public UrlResult shown() {
    String e = Secrets.text(error);
    List<String> r = Secrets.urls(redirects);
    List<Attempt> a = Attempt.shown(earlierAttempts);
    return e == error && r == redirects && a == earlierAttempts ? this
        : new UrlResult(state, httpStatus, bytes, latencyMs, attempts, e, contentType, sha256,
            r, a, errorKind, startedAt, etag, lastModified, notModified, delayed);
  }

  public static UrlResult cancelled() {
    return new UrlResult(UrlState.CANCELLED, null, 0, 0, 0, null, null, null, null, null,
        ErrorKind.CANCELLED.wire());
  }

  public static UrlResult failed(ErrorKind kind, String error) {
    return new UrlResult(UrlState.FAILED, null, 0, 0, 1, error, null, null, null, null,
        kind.wire());
  }
}
