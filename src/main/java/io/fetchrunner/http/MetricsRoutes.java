package io.fetchrunner.http;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /metrics}: the service's figures in the Prometheus text format (README,
 * "Metrics"). On the API's port behind its token, or on a port of its own without it
 * (fetchrunner.metrics.port): {@link ApiRoutes} and {@code FetchRunner} decide where.
 */
public final class MetricsRoutes extends AllDirectives {
  /** The Prometheus text exposition format, version 0.0.4. */
  static final ContentType TEXT_FORMAT =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final ActorSystem<?> system;
  private final Supplier<String> scrape;

  /** {@code scrape}: the text, blocking (it may read the read side). */
  public MetricsRoutes(ActorSystem<?> system, Supplier<String> scrape) {
    this.system = system;
    this.scrape = scrape;
  }

  public Route routes() {
    return path("metrics", () -> get(() -> parameterMultiMap(given -> {
      QueryParameters.only(given, Set.of());
      var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
      return completeWithFuture(CompletableFuture.supplyAsync(scrape, blocking)
          .thenApply(text -> HttpResponse.create()
              .withEntity(HttpEntities.create(TEXT_FORMAT,
                  text.getBytes(StandardCharsets.UTF_8)))));
    })));
  }
}
