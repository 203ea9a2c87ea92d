package io.fetchrunner.http;

import io.fetchrunner.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The root of the API: the 503 while the node shuts down, {@code GET /health}, the dashboard's
 * files ({@link DashboardRoutes}), the token every other call needs, and {@link ProblemMapping}, which answers whatever goes wrong as a problem. The
 * calls themselves are in {@link JobRoutes} and {@link HistoryRoutes}.
 */
public final class ApiRoutes extends AllDirectives {
  private final Settings.Http settings;
  private final HealthCheck health;
  private final JobRoutes jobs;
  private final HistoryRoutes history;
  private final ScheduleRoutes schedules;
  private final ClusterRoutes cluster;
  private final EventRoutes events;
  private final HostRoutes hosts;
  /** GET /metrics behind the token; empty when it is served on a port of its own. */
  private final Optional<MetricsRoutes> metrics;
  private final ProblemMapping failures;
  private final DashboardRoutes dashboard;
  private volatile boolean stopping;

  public ApiRoutes(Settings.Http settings, HealthCheck health, JobRoutes jobs,
      HistoryRoutes history, ScheduleRoutes schedules, ClusterRoutes cluster,
      EventRoutes events, HostRoutes hosts, Optional<MetricsRoutes> metrics) {
    this.schedules = schedules;
    this.hosts = hosts;
    this.settings = settings;
    this.metrics = metrics;
    this.cluster = cluster;
    this.events = events;
    this.health = health;
    this.jobs = jobs;
    this.history = history;
    this.failures = new ProblemMapping(settings);
    this.dashboard = new DashboardRoutes(!settings.apiToken().isBlank());
  }

  /** src/main/resources/openapi.json, the API's description (OpenApiTest holds it to the code). */
  private static final HttpResponse OPENAPI = openApi();

  private static HttpResponse openApi() {
    try (var in = ApiRoutes.class.getResourceAsStream("/openapi.json")) {
      if (in == null) throw new IllegalStateException("openapi.json is not in the jar");
      return HttpResponse.create().withEntity(HttpEntities.create(
          org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON, in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** From now on every call is answered 503: the node is shutting down. */
  public void stopping() {
    stopping = true;
  }

  public Route routes() {
    return failures.handle(() -> concat(
        extractRequest(r -> stopping ? complete(shuttingDown()) : reject()),
        path("health", () -> get(() -> parameterMultiMap(given -> {
          QueryParameters.only(given, Set.of());
          return completeWithFuture(health.check());
        }))),
        // GET / and /dashboard/...: the dashboard's files, without the token (no data in them).
        dashboard.routes(),
        // GET /openapi.json: the API's description, without the token (it holds no data).
        path("openapi.json", () -> get(() -> parameterMultiMap(given -> {
          QueryParameters.only(given, Set.of());
          return complete(OPENAPI);
        }))),
        authenticated(() -> concat(
            // GET /jobs, /jobs/{id}/results, /stats, /admin/read-side: the read side.
            history.routes(),
            jobs.routes(),
            schedules.routes(),
            events.routes(),
            cluster.routes(),
            hosts.routes(),
            metrics.map(MetricsRoutes::routes).orElseGet(this::reject)))));
  }

  /** The answer to every call while the node shuts down. */
  public static HttpResponse shuttingDown() {
    return Problem.response(503, "Shutting down",
            "this fetchrunner node is shutting down; try again shortly", null)
        .addHeader(RawHeader.create("Retry-After", "5"));
  }

  /**
   * The routes of the separate metrics port (fetchrunner.metrics.port): GET /metrics without
   * the token, answered as the API answers what goes wrong.
   */
  public Route metricsPort(MetricsRoutes metrics) {
    return failures.handle(metrics::routes);
  }

  /** With fetchrunner.http.api-token set, every call but /health needs that bearer token. */
  private Route authenticated(Supplier<Route> inner) {
    String token = settings.apiToken();
    if (token.isBlank()) return inner.get();
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    return optionalHeaderValueByName("Authorization", given -> {
      boolean ok = given.isPresent() && MessageDigest.isEqual(expected,
          given.get().strip().getBytes(StandardCharsets.UTF_8));
      if (ok) return inner.get();
      return complete(Problem.response(401, "Unauthorized", given.isPresent()
              ? "the bearer token is not the service's token"
              : "this service needs \"Authorization: Bearer <token>\" (fetchrunner.http.api-token)",
              "Authorization")
          .addHeader(HttpHeader.parse("WWW-Authenticate", "Bearer realm=\"fetchrunner\"")));
    });
  }
}
