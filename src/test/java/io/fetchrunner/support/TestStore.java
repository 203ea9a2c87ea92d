package io.fetchrunner.support;

import io.fetchrunner.Settings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The store a test runs the service on: the embedded H2 file in the test's data directory
 * (the default), or a PostgreSQL database of the test's own ({@link TestPostgres}), in the
 * schema {@link #PG_SCHEMA} rather than public, dropped by {@link #close()}. Tests of
 * store-independent behaviour take a {@link Kind} as their parameter and run on both.
 */
public final class TestStore implements AutoCloseable {
  /** The schema the service is given on PostgreSQL: not public, to prove the setting works. */
  public static final String PG_SCHEMA = "fetchrunner";

  public enum Kind { H2, POSTGRES }

  private final Kind kind;
  private final Path dataDir;
  private final TestPostgres.Database database;

  private TestStore(Kind kind, Path dataDir, TestPostgres.Database database) {
    this.kind = kind;
    this.dataDir = dataDir;
    this.database = database;
  }

  public static TestStore open(Kind kind, Path dataDir) {
    return new TestStore(kind, dataDir,
        kind == Kind.POSTGRES ? TestPostgres.createDatabase() : null);
  }

  public Kind kind() {
    return kind;
  }

  /** The store's settings as HOCON lines for {@link Services#start} (none on H2). */
  public String config() {
    return database == null ? "" : database.config(PG_SCHEMA);
  }

  /** The same as -D options for {@link ChildService} (none on H2). */
  public String[] systemProperties() {
    return database == null ? new String[0] : database.systemProperties(PG_SCHEMA);
  }

  /** A connection straight to the store, with the service's tables in reach unqualified. */
  public Connection connect() throws SQLException {
    if (database == null) {
      return DriverManager.getConnection(
          "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fetchrunner"), "sa", "");
    }
    Connection c = database.connect();
    c.setSchema(PG_SCHEMA);
    return c;
  }

  /** The store as the service's settings name it (for code under test that takes one). */
  public Settings.Store settings() {
    if (database == null) {
      return new Settings.Store("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fetchrunner")
          + ";WRITE_DELAY=0", "sa", "", true);
    }
    return Settings.from(io.fetchrunner.AppConfig.load(com.typesafe.config.ConfigFactory
        .parseString(config() + "fetchrunner.data-dir = \"" + dataDir + "\"\n"))).store();
  }

  @Override
  public void close() {
    if (database != null) database.close();
  }

  @Override
  public String toString() {
    return kind.toString();
  }
}
