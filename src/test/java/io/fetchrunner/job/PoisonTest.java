package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Await;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poison in the store: an event that cannot be read back makes its job fail visibly (500
 * naming the cause) without wedging the service or the other jobs.
 */
class PoisonTest {

  /** The two jobs of a store where both results of {@code poisoned} are corrupt. */
  private record Poisoned(String poisoned, String healthy) {}

  private static Poisoned poisonedStore(Path dataDir, TargetServer target, String config)
      throws Exception {
    return poisonedStore(dataDir, target, config, false);
  }

  /** As above; with {@code readSideFirst} the read side has every event before the damage. */
  private static Poisoned poisonedStore(Path dataDir, TargetServer target, String config,
      boolean readSideFirst) throws Exception {
    String poisoned;
    String healthy;
    try (FetchRunner service = Services.start(dataDir, config)) {
      Api api = new Api(service.port());
      poisoned = api.submit(Map.of("urls", List.of(target.url("/delay/0?p1"),
          target.url("/delay/0?p2")), "concurrency", 1));
      healthy = api.submit(Map.of("urls", List.of(target.url("/delay/0?h1"))));
      api.awaitFinished(poisoned, Duration.ofSeconds(30));
      api.awaitFinished(healthy, Duration.ofSeconds(30));
      if (readSideFirst) api.awaitReadSide(Duration.ofSeconds(30));
    }
    String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fetchrunner");
    try (var c = DriverManager.getConnection(url, "sa", "");
         var st = c.prepareStatement("UPDATE \"event_journal\" SET \"event_payload\" = ?"
             + " WHERE \"persistence_id\" = ? AND \"event_ser_manifest\" LIKE '%UrlsFetched'")) {
      st.setBytes(1, new byte[] {(byte) 0xff, 0x00, 0x13});
      st.setString(2, "Job|" + poisoned);
      assertEquals(2, st.executeUpdate());
    }
    return new Poisoned(poisoned, healthy);
  }

  @Test
  void aCorruptEventBreaksOnlyItsOwnJobAndSaysSo(@TempDir Path dataDir) throws Exception {
    String config = "fetchrunner.http.ask-timeout = 3s";
    try (TargetServer target = new TargetServer()) {
      Poisoned store = poisonedStore(dataDir, target, config);
      String poisoned = store.poisoned();
      String healthy = store.healthy();

      try (FetchRunner service = Services.start(dataDir, config)) {
        Api api = new Api(service.port());
        Api.Reply broken = Await.value(Duration.ofSeconds(10), "the poisoned job answering 500",
            () -> {
              Api.Reply r = api.get("/jobs/" + poisoned);
              return r.status() == 500 ? r : null;
            });
        assertTrue(broken.contentType().startsWith("application/problem+json"));
        assertTrue(broken.body().get("detail").asText().contains("cannot be loaded"),
            broken::toString);

        assertEquals("COMPLETED", api.get("/jobs/" + healthy).body().get("state").asText());
        String fresh = api.submit(Map.of("urls", List.of(target.url("/delay/0?after"))));
        assertEquals("COMPLETED",
            api.awaitFinished(fresh, Duration.ofSeconds(30)).get("state").asText());
        assertEquals(200, api.get("/health").status());
        assertEquals(3, api.awaitListed(fresh), "the list (read side) has all three jobs");
      }
    }
  }

  @Test
  void aFinishedJobsSummaryComesFromTheReadSideWithoutLoadingTheJob(@TempDir Path dataDir)
      throws Exception {
    String config = "fetchrunner.http.ask-timeout = 3s";
    try (TargetServer target = new TargetServer()) {
      // The read side has the job's results; then its events in the journal are damaged.
      Poisoned store = poisonedStore(dataDir, target, config, true);
      try (FetchRunner service = Services.start(dataDir, config)) {
        Api api = new Api(service.port());
        Api.Reply summary = api.get("/jobs/" + store.poisoned() + "?results=false");
        assertEquals(200, summary.status(), summary::toString);
        assertEquals("COMPLETED", summary.body().get("state").asText());
        assertEquals(2, summary.body().get("succeeded").asInt(), summary::toString);
        // The job itself cannot be loaded: only the read side could have answered that.
        Api.Reply whole = Await.value(Duration.ofSeconds(10), "the poisoned job answering 500",
            () -> {
              Api.Reply r = api.get("/jobs/" + store.poisoned());
              return r.status() == 500 ? r : null;
            });
      }
    }
  }

  @Test
  void theReadSideStepsOverACorruptEventAndListsIt(@TempDir Path dataDir) throws Exception {
    String config = "fetchrunner.http.ask-timeout = 3s\nfetchrunner.history.retry-after = 200ms";
    try (TargetServer target = new TargetServer()) {
      Poisoned store = poisonedStore(dataDir, target, config);
      try (FetchRunner service = Services.start(dataDir, config)) {
        Api api = new Api(service.port());
        // Replaying the journal from the start meets the corrupt events.
        assertEquals(202, api.post("/admin/read-side/rebuild", "application/json", "").status());
        String fresh = api.submit(Map.of("urls", List.of(target.url("/delay/0?after"))));
        api.awaitFinished(fresh, Duration.ofSeconds(30));
        api.awaitReadSide(Duration.ofSeconds(60));

        JsonNode status = api.get("/admin/read-side").body();
        assertEquals(2, status.get("skipped").asInt(), status::toString);
        for (JsonNode skipped : status.get("skippedEvents")) {
          assertEquals("Job|" + store.poisoned(), skipped.get("persistenceId").asText());
          assertTrue(skipped.get("error").asText().length() > 0, status::toString);
        }
        // Everything after the corrupt events is on the read side.
        Map<String, String> states = new HashMap<>();
        api.get("/jobs?limit=100").body().get("jobs")
            .forEach(j -> states.put(j.get("id").asText(), j.get("state").asText()));
        assertEquals("COMPLETED", states.get(store.healthy()), states::toString);
        assertEquals("COMPLETED", states.get(fresh), states::toString);
        assertTrue(states.containsKey(store.poisoned()), states::toString);
        // The read side skipped some of its events, so the job itself answers for it.
        Api.Reply summary = Await.value(Duration.ofSeconds(10), "the poisoned job answering 500",
            () -> {
              Api.Reply r = api.get("/jobs/" + store.poisoned() + "?results=false");
              return r.status() == 500 ? r : null;
            });
      }
    }
  }
}
