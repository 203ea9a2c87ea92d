package io.fetchrunner.store;

import io.fetchrunner.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

/** Applies the idempotent schema from sql/ (packaged in the jar) before the actors start. */
public final class Schema {
  private Schema() {}

  /** The store cannot be used as it is; the message says which setting or grant would fix it. */
  public static final class Refused extends SQLException {
    Refused(String message) {
      super(message);
    }
  }

  /**
   * Readies the store at start-up: on H2 the whole file is applied when
   * fetchrunner.store.create-schema is on (else the store is only opened); on PostgreSQL
   * what is missing is created, or {@link Refused} says why it cannot be
   * ({@link PostgresSchema}).
   */
  public static void prepare(Settings.Store store) throws SQLException {
    if (store.isPostgres()) {
      PostgresSchema.prepare(store, read("sql/postgres-schema.sql"));
    } else if (store.createSchema()) {
      apply(store);
    } else {
      connect(store).close();
    }
  }

  /** Runs every statement of the store's schema file (H2; on PostgreSQL see {@link #prepare}). */
  public static void apply(Settings.Store store) throws SQLException {
    if (store.isPostgres()) {
      prepare(store);
      return;
    }
    String script = read("sql/h2-schema.sql");
    try (Connection conn = connect(store); Statement st = conn.createStatement()) {
      for (String statement : statements(script)) {
        st.execute(statement);
      }
    }
  }

  /** A connection outside the actor system's pool: for start-up checks and the health check. */
  public static Connection connect(Settings.Store store) throws SQLException {
    return DriverManager.getConnection(store.url(), store.user(), store.password());
  }

  static String[] statements(String script) {
    StringBuilder sb = new StringBuilder();
    for (String line : script.split("\n")) {
      String t = line.strip();
      if (t.startsWith("--")) continue;
      sb.append(line).append('\n');
    }
    return Arrays.stream(sb.toString().split(";"))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .toArray(String[]::new);
  }

  private static String read(String resource) {
    try (InputStream in = Schema.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("schema " + resource + " is not packaged");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read schema " + resource, e);
    }
  }
}
