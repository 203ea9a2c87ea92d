package io.fetchrunner.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.AppConfig;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.Settings;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up on PostgreSQL: the schema is created in the configured schema when missing, a
 * second start finds it and works, a role that may not create it is refused with a message
 * naming the setting and the grant, and a role that may only use a schema its owner made
 * runs the service. Each test has a database of its own.
 */
class PostgresStoreTest {
  static TargetServer target;

  @BeforeAll
  static void startTarget() {
    target = new TargetServer();
  }

  @AfterAll
  static void stopTarget() {
    target.close();
  }

  private static Settings.Store store(TestPostgres.Database db, String user, String schema,
      boolean createSchema) {
    return Settings.from(AppConfig.load(ConfigFactory.parseString(db.config(schema)
        + "fetchrunner.store.user = \"" + user + "\"\n"
        + "fetchrunner.store.create-schema = " + createSchema + "\n"))).store();
  }

  private static List<String> tables(Connection c, String schema) throws Exception {
    List<String> out = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement("SELECT table_name FROM"
        + " information_schema.tables WHERE table_schema = ? ORDER BY table_name")) {
      st.setString(1, schema);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** A login role of this test's own (trust authentication: no password), dropped after. */
  private static final class Role implements AutoCloseable {
    final String name = "fr_role_" + UUID.randomUUID().toString().substring(0, 8);

    Role() {
      TestPostgres.admin("CREATE ROLE " + name + " LOGIN");
    }

    @Override
    public void close() {
      TestPostgres.admin("DROP ROLE IF EXISTS " + name);
    }
  }

  @Test
  void theSchemaIsCreatedWhereConfiguredAndASecondStartUsesIt(@TempDir Path dataDir)
      throws Exception {
    try (var db = TestPostgres.createDatabase()) {
      String id;
      try (FetchRunner service = Services.start(dataDir, db.config("jobs_here"))) {
        Api api = new Api(service.port());
        id = api.submit(Map.of("name", "first start", "urls", List.of(target.url("/delay/0"))));
        assertEquals("COMPLETED", api.awaitFinished(id, Duration.ofSeconds(30))
            .get("state").asText());
        api.awaitReadSide(Duration.ofSeconds(30));
      }
      try (Connection c = db.connect()) {
        assertEquals(List.of("event_journal", "event_tag", "job_run", "job_url_chunk",
            "read_side_gap", "read_side_offset", "read_side_skipped", "snapshot", "store_identity",
            "url_result"),
            tables(c, "jobs_here"));
        assertEquals(List.of(), tables(c, "public"), "nothing outside the configured schema");
      }
      try (FetchRunner service = Services.start(dataDir, db.config("jobs_here"))) {
        Api api = new Api(service.port());
        JsonNode again = api.get("/jobs/" + id).body();
        assertEquals("COMPLETED", again.get("state").asText(), again::toString);
        assertEquals(id, api.get("/jobs?limit=1").body().get("jobs").get(0).get("id").asText());
        // PostgreSQL text cannot hold U+0000: the read side stores it as U+FFFD, and goes on.
        String second = api.submit(Map.of("name", "nul\u0000name",
            "urls", List.of(target.url("/delay/0?2"))));
        assertEquals(1, api.awaitFinished(second, Duration.ofSeconds(30))
            .get("succeeded").asInt());
        api.awaitReadSide(Duration.ofSeconds(30));
        JsonNode listed = api.get("/jobs?limit=1").body().get("jobs").get(0);
        assertEquals(second, listed.get("id").asText());
        assertEquals("nul\uFFFDname", listed.get("name").asText());
      }
    }
  }

  @Test
  void aRoleThatMayNotCreateTheSchemaIsRefusedNamingTheSettingAndTheGrant(
      @TempDir Path dataDir) throws Exception {
    try (var db = TestPostgres.createDatabase(); var role = new Role()) {
      // An H2 store left in the data directory is named, not silently ignored.
      Files.writeString(dataDir.resolve("fetchrunner.mv.db"), "");
      // The real service in a child JVM: it prints why and exits non-zero.
      var exit = ChildService.startExpectingFailure(dataDir, concat(
          db.systemProperties("fetchrunner"), "-Dfetchrunner.store.user=" + role.name));
      assertEquals(1, exit.code(), exit.output());
      assertTrue(exit.output().contains("the role " + role.name + " may not create the schema"
          + " \"fetchrunner\" (fetchrunner.store.schema, FETCHRUNNER_STORE_SCHEMA)"),
          exit.output());
      assertTrue(exit.output().contains("GRANT CREATE ON DATABASE " + db.name() + " TO "
          + role.name), exit.output());
      assertTrue(exit.output().contains("fetchrunner.mv.db holds an H2 store"), exit.output());
      System.out.println("refused start-up, as printed: " + exit.output().lines()
          .filter(l -> l.startsWith("fetchrunner: cannot start")).findFirst().orElse("?"));

      // In public, which PostgreSQL 15 no longer lets every role create in.
      var refused = assertThrows(Schema.Refused.class,
          () -> Schema.prepare(store(db, role.name, "public", true)));
      assertTrue(refused.getMessage().contains("may not create the table event_journal in the"
          + " schema \"public\" (fetchrunner.store.schema)"), refused.getMessage());
      assertTrue(refused.getMessage().contains("GRANT USAGE, CREATE ON SCHEMA public TO "
          + role.name), refused.getMessage());
    }
  }

  @Test
  void aRoleThatMayOnlyUseTheTablesRunsOnASchemaItsOwnerMade(@TempDir Path dataDir)
      throws Exception {
    try (var db = TestPostgres.createDatabase(); var role = new Role()) {
      Schema.prepare(store(db, db.user(), "managed", true)); // the owner applies the file
      var asRole = store(db, role.name, "managed", true);
      var refused = assertThrows(Schema.Refused.class, () -> Schema.prepare(asRole));
      assertTrue(refused.getMessage().contains("lacks privileges in the schema \"managed\""),
          refused.getMessage());
      assertTrue(refused.getMessage().contains("USAGE ON SCHEMA managed"), refused.getMessage());

      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        st.execute("GRANT USAGE ON SCHEMA managed TO " + role.name);
        st.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA managed TO "
            + role.name);
      }
      refused = assertThrows(Schema.Refused.class, () -> Schema.prepare(asRole));
      assertTrue(refused.getMessage().contains(
          "USAGE ON SEQUENCE managed.event_journal_ordering_seq"),
          refused.getMessage());
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        st.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA managed TO " + role.name);
      }
      // Starts twice: nothing to create, nothing refused.
      for (int start = 0; start < 2; start++) {
        try (FetchRunner service = Services.start(dataDir, db.config("managed")
            + "fetchrunner.store.user = \"" + role.name + "\"\n")) {
          Api api = new Api(service.port());
          String id = api.submit(Map.of("urls", List.of(target.url("/delay/0?managed"))));
          assertEquals(1, api.awaitFinished(id, Duration.ofSeconds(30)).get("succeeded").asInt());
          api.awaitReadSide(Duration.ofSeconds(30));
        }
      }
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        st.execute("DROP OWNED BY " + role.name); // its grants, so the role can be dropped
      }
    }
  }

  @Test
  void withCreateSchemaOffAMissingTableIsRefused() throws Exception {
    try (var db = TestPostgres.createDatabase()) {
      var refused = assertThrows(Schema.Refused.class,
          () -> Schema.prepare(store(db, db.user(), "public", false)));
      assertTrue(refused.getMessage().contains("lacks table event_journal"), refused.getMessage());
      assertTrue(refused.getMessage().contains("fetchrunner.store.create-schema is off"),
          refused.getMessage());
      try (Connection c = db.connect()) {
        assertEquals(List.of(), tables(c, "public"), "nothing created");
      }
      Schema.prepare(store(db, db.user(), "public", true));
      Schema.prepare(store(db, db.user(), "public", false)); // complete now: accepted
      try (Connection c = db.connect()) {
        assertFalse(tables(c, "public").isEmpty());
      }
    }
  }

  @Test
  void theSchemaFileNamesNoSchema() throws Exception {
    // A qualified name (public.x) would put a table outside fetchrunner.store.schema.
    String script = Files.readString(Path.of("sql", "postgres-schema.sql"));
    for (String statement : Schema.statements(script)) {
      assertFalse(
          statement.matches("(?is).*\\b(TABLE|INDEX|EXISTS|ON|REFERENCES)\\s+\\w+\\.\\w+.*"),
          "schema-qualified: " + statement);
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
