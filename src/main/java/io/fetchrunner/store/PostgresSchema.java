package io.fetchrunner.store;

import io.fetchrunner.Settings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes a PostgreSQL schema ready for the service, or says exactly why it cannot: creates the
 * schema ({@code fetchrunner.store.schema}) when it is missing, then runs only the statements
 * of sql/postgres-schema.sql whose table, index or column is missing, so that a role that may
 * use the tables but not create any (a DBA applied the file) starts as well as one that
 * created them. PostgreSQL checks the right to create before it looks whether a table
 * exists, so even {@code CREATE TABLE IF NOT EXISTS} of an existing table fails for such a
 * role: the statements are not simply run again.
 *
 * <p>Everything happens in one transaction holding an advisory lock, so nodes starting
 * together do not race each other through the DDL, and a refusal leaves nothing half made.
 * The file names no schema: the connection's currentSchema (set from the setting) decides.
 */
final class PostgresSchema {
  private PostgresSchema() {}

  /** Held while the schema is checked and created (pg_advisory_xact_lock key). */
  private static final long LOCK_KEY = 0x6672756e6e657231L; // "frunner1"

  private static final Pattern TABLE = Pattern.compile(
      "(?is)^CREATE\\s+TABLE\\s+IF\\s+NOT\\s+EXISTS\\s+([\\w.]+).*");
  private static final Pattern INDEX = Pattern.compile(
      "(?is)^CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+IF\\s+NOT\\s+EXISTS\\s+([\\w.]+).*");
  private static final Pattern COLUMN = Pattern.compile(
      "(?is)^ALTER\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?([\\w.]+)\\s+ADD\\s+(?:COLUMN\\s+)?"
          + "IF\\s+NOT\\s+EXISTS\\s+(\\w+).*");

  /** PostgreSQL's SQLSTATE for "permission denied". */
  private static final String INSUFFICIENT_PRIVILEGE = "42501";

  static void prepare(Settings.Store store, String script) throws SQLException {
    String schema = store.schema();
    try (Connection c = Schema.connect(store)) {
      c.setAutoCommit(false);
      try {
        prepare(c, store, schema, script);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static void prepare(Connection c, Settings.Store store, String schema, String script)
      throws SQLException {
    String role;
    String database;
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
      try (ResultSet rs = st.executeQuery("SELECT current_user, current_database()")) {
        rs.next();
        role = rs.getString(1);
        database = rs.getString(2);
      }
    }
    if (!exists(c, "SELECT 1 FROM pg_namespace WHERE nspname = ?", schema)) {
      if (!store.createSchema()) {
        throw new Schema.Refused("the schema \"" + schema + "\" (fetchrunner.store.schema)"
            + " does not exist in database " + database + " and fetchrunner.store.create-schema"
            + " is off: create it (CREATE SCHEMA " + schema + " AUTHORIZATION " + role
            + ") and apply sql/postgres-schema.sql in it, or turn create-schema on");
      }
      try (Statement st = c.createStatement()) {
        st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
      } catch (SQLException e) {
        if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) throw e;
        throw new Schema.Refused("the role " + role + " may not create the schema \"" + schema
            + "\" (fetchrunner.store.schema, FETCHRUNNER_STORE_SCHEMA) in database " + database
            + ": create it for the role (CREATE SCHEMA " + schema + " AUTHORIZATION " + role
            + "), or GRANT CREATE ON DATABASE " + database + " TO " + role
            + ", or name a schema the role owns (" + e.getMessage() + ")");
      }
    }
    List<String> missing = new ArrayList<>();
    List<String> tables = new ArrayList<>();
    for (String statement : Schema.statements(script)) {
      Matcher table = TABLE.matcher(statement);
      Matcher index = INDEX.matcher(statement);
      Matcher column = COLUMN.matcher(statement);
      String object;
      boolean present;
      if (table.matches()) {
        String name = unqualified(table.group(1));
        tables.add(name);
        object = "table " + name;
        present = relationExists(c, schema, name);
      } else if (index.matches()) {
        object = "index " + unqualified(index.group(1));
        present = relationExists(c, schema, unqualified(index.group(1)));
      } else if (column.matches()) {
        String name = unqualified(column.group(1));
        object = "column " + name + "." + column.group(2);
        present = exists(c, "SELECT 1 FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid"
            + " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ?"
            + " AND t.relname = ? AND a.attname = ? AND NOT a.attisdropped",
            schema, name, column.group(2).toLowerCase(Locale.ROOT));
      } else {
        // Not recognised: run it when creating (it must be idempotent), else trust it.
        object = "statement " + statement.lines().findFirst().orElse("");
        present = !store.createSchema();
      }
      if (present) continue;
      if (!store.createSchema()) {
        missing.add(object);
        continue;
      }
      try (Statement st = c.createStatement()) {
        st.execute(statement);
      } catch (SQLException e) {
        if (!INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) throw e;
        throw new Schema.Refused("the role " + role + " may not create the " + object
            + " in the schema \"" + schema + "\" (fetchrunner.store.schema) of database "
            + database + ": GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + role
            + ", or have the schema's owner apply sql/postgres-schema.sql there (then the role"
            + " needs only USAGE on the schema, SELECT, INSERT, UPDATE, DELETE on its tables"
            + " and USAGE on its sequences) (" + e.getMessage() + ")");
      }
    }
    if (!missing.isEmpty()) {
      throw new Schema.Refused("the schema \"" + schema + "\" of database " + database
          + " lacks " + String.join(", ", missing) + ", and fetchrunner.store.create-schema is"
          + " off: apply sql/postgres-schema.sql there, or turn create-schema on");
    }
    checkPrivileges(c, role, database, schema, tables);
  }

  /** The role can use what exists: the schema, its tables, and the journal's sequence. */
  private static void checkPrivileges(Connection c, String role, String database, String schema,
      List<String> tables) throws SQLException {
    List<String> lacking = new ArrayList<>();
    if (!bool(c, "SELECT has_schema_privilege(?, 'USAGE')", schema)) {
      // Without it nothing in the schema can even be named: the rest cannot be checked.
      throw refusedPrivileges(role, database, schema, List.of("USAGE ON SCHEMA " + schema));
    }
    for (String table : tables) {
      for (String privilege : List.of("SELECT", "INSERT", "UPDATE", "DELETE")) {
        if (!bool(c, "SELECT has_table_privilege(?, '" + privilege + "')",
            schema + "." + table)) {
          lacking.add(privilege + " ON " + schema + "." + table);
        }
      }
    }
    String sequence = null;
    try (PreparedStatement st =
        c.prepareStatement("SELECT pg_get_serial_sequence(?, 'ordering')")) {
      st.setString(1, schema + ".event_journal");
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) sequence = rs.getString(1);
      }
    }
    if (sequence != null && !bool(c, "SELECT has_sequence_privilege(?, 'USAGE')", sequence)) {
      lacking.add("USAGE ON SEQUENCE " + sequence);
    }
    if (!lacking.isEmpty()) throw refusedPrivileges(role, database, schema, lacking);
  }

  private static Schema.Refused refusedPrivileges(String role, String database, String schema,
      List<String> lacking) {
    return new Schema.Refused("the role " + role + " lacks privileges in the schema \""
        + schema + "\" (fetchrunner.store.schema) of database " + database + ": "
        + String.join(", ", lacking) + ". Grant them, e.g. GRANT USAGE ON SCHEMA " + schema
        + " TO " + role + "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
        + schema + " TO " + role + "; GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + schema
        + " TO " + role);
  }

  private static String unqualified(String name) {
    if (name.contains(".")) {
      // A qualified name would put the table outside fetchrunner.store.schema.
      throw new IllegalStateException("sql/postgres-schema.sql names a schema (" + name
          + "): its tables must be unqualified, created in fetchrunner.store.schema");
    }
    return name.toLowerCase(Locale.ROOT);
  }

  private static boolean relationExists(Connection c, String schema, String name)
      throws SQLException {
    return exists(c, "SELECT 1 FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace"
        + " WHERE n.nspname = ? AND r.relname = ?", schema, name);
  }

  private static boolean exists(Connection c, String sql, String... params) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) st.setString(i + 1, params[i]);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static boolean bool(Connection c, String sql, String param) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, param);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }
}
