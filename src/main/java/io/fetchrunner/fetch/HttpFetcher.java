package io.fetchrunner.fetch;

import io.fetchrunner.HostSettings;
import io.fetchrunner.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.stream.Materializer;

/**
 * The service's HTTP client: Pekko HTTP's non-blocking connections ({@link Connections}), the
 * per-host permits ({@link HostGate}), pacing ({@link Pace}), back-off ({@link HostHealth}) and
 * robots.txt ({@link Robots}) that every job's requests share, wired once. Each request is an
 * {@link Attempt}.
 */
public final class HttpFetcher {
  /** What each attempt works with: the parts shared by all of them. */
  record Parts(ActorSystem<?> system, Materializer materializer, Connections connections,
      HostGate gate, HostHealth health, Pace pace, Robots robots, TargetPolicy targets,
      Executor blocking, String groupBy) {}

  private final Parts parts;
  private final HostGate gate;
  private final HostHealth health;

  public HttpFetcher(ActorSystem<?> system, Settings.Fetch settings, TargetPolicy targets) {
    this(system, settings, HostSettings.defaults(), targets);
  }

  public HttpFetcher(ActorSystem<?> system, Settings.Fetch settings, HostSettings hosts,
      TargetPolicy targets) {
    Materializer materializer = Materializer.matFromSystem(system);
    Http http = Http.get(system);
    var httpsContext = settings.tlsCaFile().isBlank()
        ? http.defaultClientHttpsContext()
        : ConnectionContext.httpsClient(
            TrustedCertificates.withExtraAuthorities(Path.of(settings.tlsCaFile())));
    // pekko.http.client: user agent, connecting-timeout, and an idle-timeout of max-timeout
    // that closes a connection nobody reads from, should anything forget it.
    var connections = new Connections(http, materializer,
        ClientConnectionSettings.create(system.classicSystem()), httpsContext,
        settings.keepAliveTimeout(), System::nanoTime);
    system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(1), Duration.ofSeconds(1),
        connections::closeExpired, system.executionContext());
    this.gate = new HostGate(settings.perHostConcurrency(), settings.maxInFlight(),
        settings.connectionRampStep(), settings.connectionRampInterval(),
        settings.keepAliveTimeout(),
        (delay, task) -> system.scheduler().scheduleOnce(delay, task,
            system.executionContext()),
        System::nanoTime);
    this.health = new HostHealth(hosts, System::nanoTime);
    gate.useHealth(health);
    var pace = new Pace(hosts, health,
        (delay, task) -> system.scheduler().scheduleOnce(delay, task, system.executionContext()),
        System::nanoTime);
    system.scheduler().scheduleWithFixedDelay(HEALTH_EVERY, HEALTH_EVERY, health::tick,
        system.executionContext());
    var r = hosts.robots();
    var robots = new Robots(system, new Robots.Limits(r.timeout(), r.maxBytes(), r.expiry(),
        r.errorExpiry(), r.maxCrawlDelay(), r.maxHosts()), settings.userAgent(), targets,
        httpsContext);
    this.parts = new Parts(system, materializer, connections, gate, health, pace, robots,
        targets, system.dispatchers().lookup(DispatcherSelector.blocking()), hosts.groupBy());
  }

  /** How often back-off blocks are ended and slowed hosts recover a step (at most). */
  private static final Duration HEALTH_EVERY = Duration.ofMillis(100);

  /** The hosts' back-off and availability (GET /hosts, metrics). */
  public HostHealth health() {
    return health;
  }

  /** The per-host gate (a cluster of several nodes bounds it by leases: HostLeaseClient). */
  public HostGate gate() {
    return gate;
  }

  /** Starts one attempt; the timeout runs from its first request being sent. */
  public Attempt fetch(FetchRequest request) {
    Attempt a = new Attempt(parts, request);
    a.start();
    return a;
  }

  /** host:port (the scheme's port when the URI has none), lower case. */
  static String hostKey(Uri uri) {
    String host = uri.host().address();
    if (host.isEmpty()) throw new IllegalArgumentException("no host in " + uri);
    return host.toLowerCase(Locale.ROOT) + ":" + uri.port();
  }

  /** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
  static Duration retryAfter(HttpResponse response) {
    return response.getHeader("Retry-After").map(h -> parseRetryAfter(h.value())).orElse(null);
  }

  static Duration parseRetryAfter(String value) {
    String v = value.strip();
    try {
      if (v.matches("\\d+")) return Duration.ofSeconds(Long.parseLong(v));
      ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
      Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
      return d.isNegative() ? Duration.ZERO : d;
    } catch (RuntimeException e) {
      return null;
    }
  }

}
