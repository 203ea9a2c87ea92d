package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.util.Map;

/** A URL's own request when it is not a plain GET: method, extra headers, body (POST). */
public record UrlRequest(String method, Map<String, String> headers, String body)
    implements CborSerializable {

  public static final UrlRequest GET = new UrlRequest("GET", Map.of(), null);

  public UrlRequest {
    method = method == null ? "GET" : method;
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }
}
