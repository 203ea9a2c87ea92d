package io.fetchrunner.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.Secrets;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * An RFC 7807 problem: the API's answer to anything it refuses. {@code field} names the
 * offending part of the request (a JSON field such as {@code urls[3]}, a query parameter,
 * or {@code body}), so a client can point at it.
 */
public final class Problem extends RuntimeException {
  public static final ContentType.WithFixedCharset PROBLEM_JSON =
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8, "json")
          .toContentType();

  private final int status;
  private final String title;
  private final String field;

  public Problem(int status, String title, String detail, String field) {
    super(detail, null, false, false);
    this.status = status;
    this.title = title;
    this.field = field;
  }

  public static Problem badRequest(String field, String detail) {
    return new Problem(400, "Invalid request", detail, field);
  }

  public static Problem notFound(String detail) {
    return new Problem(404, "Not found", detail, null);
  }

  public int status() {
    return status;
  }

  public String field() {
    return field;
  }

  public HttpResponse toResponse() {
    return response(status, title, getMessage(), field);
  }

  /** The problem's answer; a URL in {@code detail} is shown without its credentials. */
  public static HttpResponse response(int status, String title, String detail, String field) {
    ObjectNode body = Json.mapper().createObjectNode();
    body.put("type", "about:blank");
    body.put("title", title);
    body.put("status", status);
    body.put("detail", Secrets.text(detail));
    if (field != null) body.put("field", field);
    return HttpResponse.create()
        .withStatus(StatusCodes.get(status))
        .withEntity(HttpEntities.create(PROBLEM_JSON, body.toString()));
  }
}
