package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import io.fetchrunner.Secrets;
import java.util.Map;

/** A URL's own request when it is not a plain GET: method, extra headers, body (POST). */
public record UrlRequest(String method, Map<String, String> headers, String body)
    implements CborSerializable {

  public static final UrlRequest GET = new UrlRequest("GET", Map.of(), null);

  public UrlRequest {
    method = method == null ? "GET" : method;
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /**
   * As records print themselves, with the values of secret headers as *** ({@link Secrets})
   * and the body's length only (a POST body may be a login).
   */
  @Override
  public String toString() {
    return "UrlRequest[method=" + method + ", headers=" + Secrets.headers(headers)
        + ", body=" + (body == null ? null : body.length() + " characters") + "]";
  }
}
