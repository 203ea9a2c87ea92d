package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** Which store fetchrunner.store selects, and the settings it refuses, naming the key. */
class StoreSettingsTest {
  private static Settings settings(String store) {
    return Settings.from(AppConfig.load(ConfigFactory.parseString(store)));
  }

  private static String refusal(String store) {
    return assertThrows(IllegalArgumentException.class, () -> settings(store)).getMessage();
  }

  @Test
  void aPostgresUrlSelectsPostgresInTheConfiguredSchema() {
    var config = AppConfig.load(ConfigFactory.parseString("""
        fetchrunner.store.url = "jdbc:postgresql://db:5432/jobs?sslmode=require"
        fetchrunner.store.schema = fetchrunner
        fetchrunner.store.pool.max-connections = 3
        """));
    var store = Settings.from(config).store();
    assertTrue(store.isPostgres());
    assertEquals("fetchrunner", store.schema());
    assertEquals("jdbc:postgresql://db:5432/jobs?sslmode=require&currentSchema=fetchrunner",
        store.url());
    String db = "pekko-persistence-jdbc.shared-databases.default.";
    assertEquals(store.url(), config.getString(db + "db.url"));
    assertEquals("slick.jdbc.PostgresProfile$", config.getString(db + "profile"));
    assertEquals("org.postgresql.Driver", config.getString(db + "db.driver"));
    assertEquals(3, config.getInt(db + "db.maxConnections"));
  }

  @Test
  void noUrlIsTheH2FileWithItsProfile() {
    var config = AppConfig.load(ConfigFactory.parseString("fetchrunner.data-dir = /tmp/x"));
    var store = Settings.from(config).store();
    assertTrue(store.isH2());
    assertEquals("", store.schema());
    assertEquals("slick.jdbc.H2Profile$",
        config.getString("pekko-persistence-jdbc.shared-databases.default.profile"));
  }

  @Test
  void storesAndSchemasItCannotUseAreRefusedNamingTheKey() {
    assertTrue(refusal("fetchrunner.store.url = \"jdbc:mysql://db/x\"")
        .contains("fetchrunner.store.url must be empty"));
    assertTrue(refusal("fetchrunner.store.url = \"jdbc:postgresql://db/x\"\n"
        + "fetchrunner.store.schema = \"Jobs; DROP\"").contains("fetchrunner.store.schema"));
    assertTrue(refusal("fetchrunner.store.url = \"jdbc:postgresql://db/x?currentSchema=a\"")
        .contains("set fetchrunner.store.schema"));
    assertTrue(refusal("fetchrunner.store.pool.min-connections = 9")
        .contains("fetchrunner.store.pool.min-connections"));
  }
}
