package io.fetchrunner.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fetchrunner.CborSerializable;
import io.fetchrunner.Secrets;
import java.util.Map;

/**
 * How a job fetches each URL, fixed at submission (defaults come from fetchrunner.fetch).
 *
 * @param retries extra attempts after a retryable failure (refused or reset connection,
 *     timeout, 429, 502, 503, 504)
 * @param maxRedirects redirects followed for GET and HEAD before giving up
 * @param maxBodyBytes a longer body fails the URL
 * @param sha256 record the SHA-256 of each body
 * @param headers sent with every request of the job (a URL's own headers win)
 * @param perHost the job's own per-host limits, or null
 * @param failFast false: the job's requests to a host found unavailable still wait their
 *     turn and their timeout (null: true)
 * @param robots true: robots.txt is obeyed ("robots": "obey"); null: not consulted
 */
public record FetchPolicy(
    int retries, int maxRedirects, long maxBodyBytes, boolean sha256, Map<String, String> headers,
    @JsonInclude(JsonInclude.Include.NON_NULL) PerHost perHost,
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean failFast,
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean robots)
    implements CborSerializable {

  public FetchPolicy {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /** Without politeness options of its own (as stored before they existed). */
  public FetchPolicy(int retries, int maxRedirects, long maxBodyBytes, boolean sha256,
      Map<String, String> headers) {
    this(retries, maxRedirects, maxBodyBytes, sha256, headers, null, null, null);
  }

  /** The same policy with the job's politeness options. */
  public FetchPolicy withPoliteness(PerHost perHost, Boolean failFast, Boolean robots) {
    return new FetchPolicy(retries, maxRedirects, maxBodyBytes, sha256, headers, perHost,
        failFast, robots);
  }

  public boolean obeysRobots() {
    return Boolean.TRUE.equals(robots);
  }

  public boolean failsFast() {
    return !Boolean.FALSE.equals(failFast);
  }

  /** As records print themselves, with the values of secret headers as *** ({@link Secrets}). */
  @Override
  public String toString() {
    return "FetchPolicy[retries=" + retries + ", maxRedirects=" + maxRedirects
        + ", maxBodyBytes=" + maxBodyBytes + ", sha256=" + sha256
        + ", headers=" + Secrets.headers(headers) + ", perHost=" + perHost + ", failFast="
        + failFast + ", robots=" + robots + "]";
  }
}
