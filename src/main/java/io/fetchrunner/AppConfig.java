package io.fetchrunner;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.LoggerFactory;

/**
 * Assembles the configuration: system properties over the user's file over the service's
 * Pekko wiring (fetchrunner-runtime.conf) over the libraries' reference.conf.
 */
public final class AppConfig {
  private AppConfig() {}

  /** The user's file: -Dconfig.file, else ./conf/application.conf, else the packaged copy. */
  public static Config userConfig() {
    String file = System.getProperty("config.file");
    if (file != null) return parseFile(Path.of(file));
    Path local = Path.of("conf", "application.conf");
    if (Files.isRegularFile(local)) return parseFile(local);
    return ConfigFactory.parseResources("application.conf");
  }

  /** Where {@link #userConfig()} came from, for the start-up line. */
  public static String userConfigOrigin() {
    String file = System.getProperty("config.file");
    if (file != null) return file;
    Path local = Path.of("conf", "application.conf");
    return Files.isRegularFile(local) ? local.toString() : "packaged defaults";
  }

  /**
   * The full, resolved configuration, with {@code overrides} on top of the user's file, its
   * fetch limits fitted under the process's open-file limit ({@link OpenFiles}, a warning
   * when lowered) and the settings Pekko takes from ours derived: the one place the
   * configuration is put together ({@link Settings#from} only reads it).
   */
  public static Config load(Config overrides) {
    return load(overrides, OpenFiles.limit());
  }

  static Config load(Config overrides, OptionalLong openFiles) {
    Config layered = overrides
        .withFallback(userConfig())
        .withFallback(ConfigFactory.parseResources("fetchrunner-runtime.conf"));
    OpenFiles.Fit fit = OpenFiles.fit(ConfigFactory.load(layered), openFiles);
    fit.lowered().ifPresent(message -> LoggerFactory.getLogger(AppConfig.class).warn(message));
    Config resolved = fit.config();
    // The store's JDBC URL is derived from the data directory in code, not by substitution,
    // so that a data-dir given at any layer ends up in the URL.
    Settings settings = Settings.from(resolved);
    // The shutdown phase that drains running jobs must outlast the drain itself.
    String drainPhase = settings.shutdownDrainTimeout().plusSeconds(5).toMillis() + "ms";
    String db = "pekko-persistence-jdbc.shared-databases.default";
    var derived = new HashMap<String, Object>(Map.of(
        db + ".db.url", settings.store().url(),
        "pekko.coordinated-shutdown.phases.before-service-unbind.timeout", drainPhase));
    if (settings.store().isPostgres()) {
      derived.put(db + ".profile", "slick.jdbc.PostgresProfile$");
      derived.put(db + ".db.driver", "org.postgresql.Driver");
    }
    derived.putAll(remoting(settings.cluster()));
    return ConfigFactory.parseMap(derived).withFallback(resolved);
  }

  /** Pekko's remoting and cluster settings from fetchrunner.cluster (checked by Settings). */
  static Map<String, Object> remoting(ClusterSettings cluster) {
    var derived = new HashMap<String, Object>();
    derived.put("pekko.remote.artery.canonical.hostname", cluster.hostname());
    derived.put("pekko.remote.artery.canonical.port", cluster.port());
    derived.put("pekko.cluster.seed-nodes", cluster.seedNodes());
    derived.put("pekko.cluster.split-brain-resolver.stable-after",
        cluster.stableAfter().toMillis() + "ms");
    var tls = cluster.tls();
    if (tls.enabled()) {
      String ssl = "pekko.remote.artery.ssl.config-ssl-engine.";
      derived.put("pekko.remote.artery.transport", "tls-tcp");
      derived.put(ssl + "key-store", tls.keyStore());
      derived.put(ssl + "key-store-password", tls.keyStorePassword());
      derived.put(ssl + "key-password", tls.keyStorePassword());
      derived.put(ssl + "trust-store", tls.trustStore());
      derived.put(ssl + "trust-store-password", tls.trustStorePassword());
    }
    return derived;
  }

  private static Config parseFile(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("configuration file not found: " + path);
    }
    return ConfigFactory.parseFile(path.toFile());
  }
}
