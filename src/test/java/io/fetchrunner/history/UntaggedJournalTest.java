package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store written before the read side existed (no read-side rows) is taken over at the
 * first start: its jobs appear in GET /jobs with their figures.
 */
class UntaggedJournalTest {

  @Test
  void jobsOfAnOlderStoreAppearInTheHistory(@TempDir Path dataDir) throws Exception {
    String id;
    JsonNode live;
    try (TargetServer target = new TargetServer()) {
      try (FetchRunner service = Services.start(dataDir, "")) {
        Api api = new Api(service.port());
        id = api.submit(Map.of("name", "older", "urls",
            List.of(target.url("/delay/20?o=0"), target.url("/status/500?o=1"))));
        api.awaitFinished(id, Duration.ofSeconds(30));
        live = api.ownSummary(id);
      }
    }
    String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fetchrunner");
    try (Connection c = DriverManager.getConnection(url, "sa", "");
         Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM url_result");
      st.executeUpdate("DELETE FROM job_run");
      st.executeUpdate("DELETE FROM read_side_offset");
    }
    try (FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      api.awaitReadSide(Duration.ofSeconds(30));
      JsonNode jobs = api.get("/jobs").body().get("jobs");
      assertEquals(1, jobs.size(), jobs::toString);
      assertEquals(live, jobs.get(0));
      assertEquals(2, api.getText("/jobs/" + id + "/results").body().split("\n").length);
    }
  }
}
