package io.fetchrunner.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests the server cannot read far enough to route (a malformed request target or
 * query, an unknown method, a URI or header over its limit, a bad Content-Length, ...) as
 * problems, like every other refusal. Named in {@code pekko.http.server.parsing.error-handler}
 * (fetchrunner-runtime.conf); Pekko creates it.
 */
public final class ParsingProblems extends ParsingErrorHandler {
  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log,
      ServerSettings settings) {
    log.warning("Illegal request, responding with status '{}': {}", status, info.formatPretty());
    return Problem.response(status.intValue(), status.reason(), info.summary(), null);
  }
}
