package io.fetchrunner.http;

import io.fetchrunner.Settings;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.pattern.AskTimeoutException;

/**
 * The one place that turns what a call could not do into an {@code application/problem+json}
 * answer: exceptions from the routes and their futures, Pekko's rejections (unknown path,
 * wrong method, ...) and the request timeout. Requests too malformed to reach a route are
 * answered by {@link ParsingProblems}.
 */
final class ProblemMapping extends AllDirectives {
  private final Settings.Http settings;

  ProblemMapping(Settings.Http settings) {
    this.settings = settings;
  }

  /** {@code inner}, with every failure answered as a problem. */
  Route handle(Supplier<Route> inner) {
    return withRequestTimeoutResponse(ProblemMapping::requestTimeout, () ->
        handleExceptions(exceptions(), () -> handleRejections(rejections(), inner)));
  }

  /** The answer to a failed call or future: a {@link Problem} as it is, anything else mapped. */
  static HttpResponse response(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (e instanceof Problem p) return p.toResponse();
    if (e instanceof AskTimeoutException || e instanceof TimeoutException) {
      return unavailable("the service did not answer in time; try again");
    }
    if (e instanceof SQLException) {
      return unavailable("the history store failed: " + e.getMessage());
    }
    if (e instanceof org.apache.pekko.pattern.StatusReply.ErrorMessage refused) {
      return unavailable(refused.getMessage()); // e.g. a read-side rebuild whose reset failed
    }
    if (e instanceof EntityStreamSizeException size) {
      return tooLarge(size.limit());
    }
    if (e instanceof IllegalRequestException bad) {
      return Problem.response(bad.status().intValue(), bad.status().reason(),
          bad.info().summary(), null);
    }
    return Problem.response(500, "Internal error", e.toString(), null);
  }

  static HttpResponse unavailable(String detail) {
    return Problem.response(503, "Service unavailable", detail, null);
  }

  private static HttpResponse requestTimeout(HttpRequest request) {
    return unavailable("the service did not answer " + request.method().value() + " "
        + request.getUri().path() + " in time; try again");
  }

  private static HttpResponse tooLarge(long limit) {
    return Problem.response(413, "Request too large", "the request body is larger than "
        + limit + " bytes (fetchrunner.http.max-request-bytes)", "body");
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .matchAny(e -> complete(response(e)))
        .build();
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, this::methodNotAllowed)
        .handleNotFound(extractRequest(request -> complete(Problem.response(404, "Not found",
            "no such path: " + request.getUri().path(), null))))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(this::asProblem);
  }

  /** 405 naming the methods the path takes; HEAD wherever GET (the server answers it). */
  private Route methodNotAllowed(List<MethodRejection> rejections) {
    Set<HttpMethod> methods = new LinkedHashSet<>();
    for (MethodRejection r : rejections) {
      methods.add(r.supported());
      if (r.supported().equals(HttpMethods.GET)) methods.add(HttpMethods.HEAD);
    }
    String names = methods.stream().map(HttpMethod::value).collect(Collectors.joining(", "));
    return extractRequest(request -> complete(Problem.response(405, "Method not allowed",
            request.method().value() + " " + request.getUri().path() + " is not a call of this"
                + " API; the path takes " + names, null)
        .addHeader(Allow.create(methods.toArray(HttpMethod[]::new)))));
  }

  /**
   * Pekko's own rejection answers are text: the same status with the text as the detail.
   * 413 keeps the API's own wording.
   */
  private HttpResponse asProblem(HttpResponse response) {
    if (response.status().intValue() == 413) return tooLarge(settings.maxRequestBytes());
    if (response.entity().getContentType().mediaType().equals(MediaTypes.TEXT_PLAIN)
        && response.entity() instanceof HttpEntity.Strict s) {
      return Problem.response(response.status().intValue(), response.status().reason(),
          s.getData().utf8String(), null).withHeaders(response.getHeaders());
    }
    return response;
  }
}
