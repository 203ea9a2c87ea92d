package io.fetchrunner.job;

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
 */
public record FetchPolicy(
    int retries, int maxRedirects, long maxBodyBytes, boolean sha256, Map<String, String> headers)
    implements CborSerializable {

  public FetchPolicy {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /** As records print themselves, with the values of secret headers as *** ({@link Secrets}). */
  @Override
  public String toString() {
    return "FetchPolicy[retries=" + retries + ", maxRedirects=" + maxRedirects
        + ", maxBodyBytes=" + maxBodyBytes + ", sha256=" + sha256
        + ", headers=" + Secrets.headers(headers) + "]";
  }
}
