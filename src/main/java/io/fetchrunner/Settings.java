package io.fetchrunner;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;

/** The {@code fetchrunner} section of the configuration, read once and checked at start-up. */
public record Settings(
    Http http, Path dataDir, Store store, Jobs jobs, Fetch fetch, History history,
    Duration shutdownDrainTimeout, Duration storeWatchInterval, ClusterSettings cluster,
    NotifySettings webhooks, Metrics metrics, HostSettings hosts) {

  /** The embedded store's files in data-dir are named {@code fetchrunner.*}. */
  public static final String STORE_NAME = "fetchrunner";

  public record Http(
      String host, int port, long maxRequestBytes, Duration askTimeout,
      int listDefaultLimit, int listMaxLimit, String apiToken) {

    public boolean loopbackOnly() {
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
  }

  /**
   * The store: {@code url} is the JDBC URL the service connects with (for PostgreSQL it names
   * {@code schema} as the connection's currentSchema); {@code schema} is empty on H2.
   */
  public record Store(String url, String user, String password, boolean createSchema,
      String schema, Pool pool) {

    /** An H2 store with the default pool (tests). */
    public Store(String url, String user, String password, boolean createSchema) {
      this(url, user, password, createSchema, "", Pool.DEFAULT);
    }

    public boolean isH2() {
      return url.startsWith("jdbc:h2:");
    }

    /** As records print themselves, without the password. */
    @Override
    public String toString() {
      return "Store[url=" + Secrets.text(url) + ", user=" + user + ", password="
          + (password.isEmpty() ? "" : Secrets.MASK) + ", createSchema=" + createSchema
          + ", schema=" + schema + ", pool=" + pool + "]";
    }

    public boolean isPostgres() {
      return url.startsWith("jdbc:postgresql:");
    }
  }

  /** The journal's connection pool (see fetchrunner.store.pool in conf/application.conf). */
  public record Pool(int maxConnections, int minConnections, Duration connectionTimeout,
      Duration idleTimeout, Duration maxLifetime) {
    static final Pool DEFAULT = new Pool(8, 2, Duration.ofSeconds(5), Duration.ofMinutes(10),
        Duration.ofMinutes(30));
  }

  /** Schema names the service accepts: plain lower-case SQL identifiers, never quoted. */
  private static final java.util.regex.Pattern SCHEMA_NAME =
      java.util.regex.Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  /**
   * The JDBC URL of the store: the embedded H2 file in {@code dataDir} when {@code url} is
   * empty; for PostgreSQL, {@code url} with the schema as currentSchema (so the journal, the
   * read side and the start-up check all find their tables there without naming it).
   */
  static String storeUrl(String url, Path dataDir, String schema) {
    if (url.isBlank()) {
      // WRITE_DELAY=0: a commit reaches the file before it is acknowledged (H2's default
      // of 500 ms loses the last acknowledged results when the process is killed).
      // DB_CLOSE_ON_EXIT=FALSE: the store stays open until Pekko's coordinated shutdown has
      // written the last results, instead of closing in H2's own JVM shutdown hook.
      return "jdbc:h2:file:" + dataDir.resolve(STORE_NAME)
          + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
    }
    if (url.startsWith("jdbc:postgresql:")) {
      require(SCHEMA_NAME.matcher(schema).matches(), "fetchrunner.store.schema",
          "must be a lower-case SQL name (letters, digits, _), not \"" + schema + "\"");
      require(!url.toLowerCase(Locale.ROOT).contains("currentschema="),
          "fetchrunner.store.url", "must not set currentSchema: set fetchrunner.store.schema"
              + " (FETCHRUNNER_STORE_SCHEMA) instead");
      return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
    return url;
  }

  public record Jobs(
      int defaultConcurrency, int maxConcurrency, int maxUrlsPerJob, int maxUrlLength,
      int maxNameLength, int resultBatchMax, int snapshotEvery, Duration idleUnloadAfter,
      Duration idempotencyKeyRetention, Duration scheduleLateAfter) {}

  public record Fetch(
      Duration defaultTimeout, Duration maxTimeout, Duration connectTimeout,
      Duration keepAliveTimeout, long maxBodyBytes,
      long maxBodyBytesLimit, int perHostConcurrency, int maxInFlight, String userAgent,
      int retries, int maxRetries, Duration retryBackoffMin, Duration retryBackoffMax,
      Duration maxRetryAfter, int maxRedirects, int maxRedirectsLimit,
      List<String> allowTargets, List<String> denyTargets, String privateTargets,
      int connectionRampStep, Duration connectionRampInterval, String tlsCaFile) {

    /** keep-alive-timeout "infinite": idle connections are kept until the server closes them. */
    public static final Duration NEVER = Duration.ofDays(36_500);

    /** Whether loopback and private addresses may be fetched ("auto": only on loopback). */
    public boolean allowPrivate(Http http) {
      return switch (privateTargets) {
        case "allow" -> true;
        case "deny" -> false;
        default -> http.loopbackOnly();
      };
    }
  }

  /**
   * GET /metrics: on the API's port behind its token when {@code port} is empty, else on a
   * port of its own (0: a free one) bound to {@code host}, without the token; the
   * {@code topHosts} busiest hosts named in the per-host gauges.
   */
  public record Metrics(OptionalInt port, String host, int topHosts) {
    static Metrics from(Config c) {
      String port = c.getString("metrics.port").strip();
      OptionalInt p;
      if (port.equals("off") || port.isEmpty()) {
        p = OptionalInt.empty();
      } else {
        try {
          p = OptionalInt.of(Integer.parseInt(port));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("configuration: fetchrunner.metrics.port must be"
              + " off or a port number 0..65535, not \"" + port + "\"");
        }
      }
      return new Metrics(p, c.getString("metrics.host"), c.getInt("metrics.top-hosts"));
    }
  }

  /** The read side: see the fetchrunner.history section of conf/application.conf. */
  public record History(
      Duration refreshInterval, int maxBatchEvents, Duration retryAfter,
      int exportPageRows, int slowestHosts, int poolSize) {}

  public static Settings from(Config root) {
    Config c = root.getConfig("fetchrunner");
    Path dataDir = Path.of(c.getString("data-dir")).toAbsolutePath().normalize();
    String url = storeUrl(c.getString("store.url").strip(), dataDir,
        c.getString("store.schema").strip());
    var settings = new Settings(
        new Http(
            c.getString("http.host"),
            c.getInt("http.port"),
            c.getBytes("http.max-request-bytes"),
            c.getDuration("http.ask-timeout"),
            c.getInt("http.list-default-limit"),
            c.getInt("http.list-max-limit"),
            c.getString("http.api-token")),
        dataDir,
        new Store(url, c.getString("store.user"), c.getString("store.password"),
            c.getBoolean("store.create-schema"),
            url.startsWith("jdbc:postgresql:") ? c.getString("store.schema").strip() : "",
            new Pool(
                c.getInt("store.pool.max-connections"),
                c.getInt("store.pool.min-connections"),
                c.getDuration("store.pool.connection-timeout"),
                c.getDuration("store.pool.idle-timeout"),
                c.getDuration("store.pool.max-lifetime"))),
        new Jobs(
            c.getInt("jobs.default-concurrency"),
            c.getInt("jobs.max-concurrency"),
            c.getInt("jobs.max-urls-per-job"),
            c.getInt("jobs.max-url-length"),
            c.getInt("jobs.max-name-length"),
            c.getInt("jobs.result-batch-max"),
            c.getInt("jobs.snapshot-every"),
            c.getDuration("jobs.idle-unload-after"),
            c.getDuration("jobs.idempotency-key-retention"),
            c.getDuration("jobs.schedule-late-after")),
        new Fetch(
            c.getDuration("fetch.default-timeout"),
            c.getDuration("fetch.max-timeout"),
            c.getDuration("fetch.connect-timeout"),
            c.getString("fetch.keep-alive-timeout").equals("infinite")
                ? Fetch.NEVER : c.getDuration("fetch.keep-alive-timeout"),
            c.getBytes("fetch.max-body-bytes"),
            c.getBytes("fetch.max-body-bytes-limit"),
            c.getInt("fetch.per-host-concurrency"),
            c.getInt("fetch.max-in-flight"),
            c.getString("fetch.user-agent"),
            c.getInt("fetch.retries"),
            c.getInt("fetch.max-retries"),
            c.getDuration("fetch.retry-backoff-min"),
            c.getDuration("fetch.retry-backoff-max"),
            c.getDuration("fetch.max-retry-after"),
            c.getInt("fetch.max-redirects"),
            c.getInt("fetch.max-redirects-limit"),
            c.getStringList("fetch.targets.allow"),
            c.getStringList("fetch.targets.deny"),
            c.getString("fetch.targets.private"),
            c.getInt("fetch.connection-ramp.step"),
            c.getDuration("fetch.connection-ramp.interval"),
            c.getString("fetch.tls.ca-file")),
        new History(
            c.getDuration("history.refresh-interval"),
            c.getInt("history.max-batch-events"),
            c.getDuration("history.retry-after"),
            c.getInt("history.export-page-rows"),
            c.getInt("history.slowest-hosts"),
            c.getInt("history.pool-size")),
        c.getDuration("shutdown.drain-timeout"),
        c.getDuration("store.watch-interval"),
        ClusterSettings.from(c),
        NotifySettings.from(c),
        Metrics.from(c),
        HostSettings.from(c));
    settings.check();
    if (!c.getString("fetch.keep-alive-timeout").equals("infinite")) {
      Duration keepAlive = c.getDuration("fetch.keep-alive-timeout");
      require(!keepAlive.isNegative() && !keepAlive.isZero(),
          "fetchrunner.fetch.keep-alive-timeout", "must be positive, or infinite");
    }
    return settings;
  }

  private void check() {
    require(store.isH2() || store.isPostgres(), "fetchrunner.store.url",
        "must be empty (the embedded H2 file in data-dir), jdbc:h2:... or"
            + " jdbc:postgresql://host:port/database");
    require(store.pool.maxConnections >= 1, "fetchrunner.store.pool.max-connections",
        "must be at least 1");
    require(store.pool.minConnections >= 0
            && store.pool.minConnections <= store.pool.maxConnections,
        "fetchrunner.store.pool.min-connections", "must be 0..max-connections");
    // HikariCP refuses a connection timeout under 250 ms.
    require(store.pool.connectionTimeout.toMillis() >= 250,
        "fetchrunner.store.pool.connection-timeout", "must be at least 250ms");
    require(!store.pool.idleTimeout.isNegative(), "fetchrunner.store.pool.idle-timeout",
        "must not be negative");
    require(!store.pool.maxLifetime.isNegative(), "fetchrunner.store.pool.max-lifetime",
        "must not be negative");
    require(!storeWatchInterval.isNegative() && !storeWatchInterval.isZero(),
        "fetchrunner.store.watch-interval", "must be positive");
    require(http.port >= 0 && http.port <= 65535, "fetchrunner.http.port", "must be 0..65535");
    require(http.maxRequestBytes > 0, "fetchrunner.http.max-request-bytes", "must be positive");
    require(http.listDefaultLimit >= 1 && http.listDefaultLimit <= http.listMaxLimit,
        "fetchrunner.http.list-default-limit", "must be 1..list-max-limit");
    require(jobs.maxConcurrency >= 1, "fetchrunner.jobs.max-concurrency", "must be at least 1");
    require(jobs.defaultConcurrency >= 1 && jobs.defaultConcurrency <= jobs.maxConcurrency,
        "fetchrunner.jobs.default-concurrency", "must be 1..max-concurrency");
    require(jobs.maxUrlsPerJob >= 1, "fetchrunner.jobs.max-urls-per-job", "must be at least 1");
    require(jobs.resultBatchMax >= 1, "fetchrunner.jobs.result-batch-max", "must be at least 1");
    require(jobs.snapshotEvery >= 100, "fetchrunner.jobs.snapshot-every", "must be at least 100");
    require(!jobs.idempotencyKeyRetention.isNegative(),
        "fetchrunner.jobs.idempotency-key-retention", "must not be negative");
    require(jobs.scheduleLateAfter.compareTo(Duration.ofSeconds(1)) >= 0,
        "fetchrunner.jobs.schedule-late-after", "must be at least 1s");
    require(!fetch.defaultTimeout.isNegative() && !fetch.defaultTimeout.isZero()
            && fetch.defaultTimeout.compareTo(fetch.maxTimeout) <= 0,
        "fetchrunner.fetch.default-timeout", "must be positive and at most max-timeout");
    require(fetch.maxBodyBytes >= 0 && fetch.maxBodyBytes <= fetch.maxBodyBytesLimit,
        "fetchrunner.fetch.max-body-bytes", "must be 0..max-body-bytes-limit");
    require(fetch.maxInFlight >= 1, "fetchrunner.fetch.max-in-flight", "must be at least 1");
    require(fetch.retries >= 0 && fetch.retries <= fetch.maxRetries,
        "fetchrunner.fetch.retries", "must be 0..max-retries");
    require(!fetch.retryBackoffMin.isNegative()
            && fetch.retryBackoffMin.compareTo(fetch.retryBackoffMax) <= 0,
        "fetchrunner.fetch.retry-backoff-min", "must be 0..retry-backoff-max");
    require(fetch.maxRedirects >= 0 && fetch.maxRedirects <= fetch.maxRedirectsLimit,
        "fetchrunner.fetch.max-redirects", "must be 0..max-redirects-limit");
    require(Set.of("auto", "allow", "deny").contains(fetch.privateTargets),
        "fetchrunner.fetch.targets.private", "must be auto, allow or deny");
    require(fetch.perHostConcurrency >= 1 && fetch.perHostConcurrency <= 32768,
        "fetchrunner.fetch.per-host-concurrency", "must be 1..32768");
    require(fetch.tlsCaFile.isBlank() || Files.isReadable(Path.of(fetch.tlsCaFile)),
        "fetchrunner.fetch.tls.ca-file", "must be empty or name a readable PEM file ("
            + fetch.tlsCaFile + " is not)");
    require(fetch.connectionRampStep >= 1, "fetchrunner.fetch.connection-ramp.step",
        "must be at least 1");
    require(!fetch.connectionRampInterval.isNegative(),
        "fetchrunner.fetch.connection-ramp.interval", "must not be negative");
    checkHistory();
    require(metrics.port.isEmpty()
            || (metrics.port.getAsInt() >= 0 && metrics.port.getAsInt() <= 65535),
        "fetchrunner.metrics.port", "must be off or a port number 0..65535");
    require(metrics.topHosts >= 0, "fetchrunner.metrics.top-hosts", "must not be negative");
  }

  private void checkHistory() {
    require(!history.refreshInterval.isNegative() && !history.refreshInterval.isZero(),
        "fetchrunner.history.refresh-interval", "must be positive");
    require(history.maxBatchEvents >= 1, "fetchrunner.history.max-batch-events",
        "must be at least 1");
    require(history.exportPageRows >= 1, "fetchrunner.history.export-page-rows",
        "must be at least 1");
    require(history.slowestHosts >= 0, "fetchrunner.history.slowest-hosts",
        "must not be negative");
    require(history.poolSize >= 1, "fetchrunner.history.pool-size", "must be at least 1");
  }

  private static void require(boolean ok, String key, String rule) {
    if (!ok) throw new IllegalArgumentException("configuration: " + key + " " + rule);
  }
}
