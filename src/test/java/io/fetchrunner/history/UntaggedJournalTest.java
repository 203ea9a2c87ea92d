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
 * Older stores are taken over at the first start: a store written before the read side
 * existed (no read-side rows) gets its history, and a read side in the layout of versions
 * before job_url_chunk (a row per URL from the start) is rebuilt in the current one.
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
      st.executeUpdate("DELETE FROM job_url_chunk");
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

  @Test
  void aReadSideOfTheOlderLayoutIsRebuilt(@TempDir Path dataDir) throws Exception {
    String id;
    JsonNode live;
    JsonNode liveResults;
    try (TargetServer target = new TargetServer()) {
      try (FetchRunner service = Services.start(dataDir, "")) {
        Api api = new Api(service.port());
        id = api.submit(Map.of("name", "cancelled", "concurrency", 1, "urls",
            List.of(target.url("/delay/10?o=0"), target.url("/delay/5000?o=1"),
                target.url("/delay/10?o=2"))));
        Api.sleep(500);
        assertEquals(200, api.delete("/jobs/" + id).status());
        live = api.ownSummary(id);
        liveResults = api.get("/jobs/" + id).body().get("results");
        api.awaitReadSide(Duration.ofSeconds(30));
      }
    }
    // As the older version left it: no URL list, a row for every URL, CANCELLED ones too.
    String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fetchrunner");
    try (Connection c = DriverManager.getConnection(url, "sa", "");
         Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM job_url_chunk");
      st.executeUpdate("INSERT INTO url_result (job_id, idx, url, host, state, bytes,"
          + " latency_ms, attempts) SELECT '" + id + "', X, 'http://old/' || X, 'old',"
          + " 'CANCELLED', 0, 0, 0 FROM SYSTEM_RANGE(1, 2) WHERE X NOT IN"
          + " (SELECT idx FROM url_result WHERE job_id = '" + id + "')");
    }
    try (FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      api.awaitReadSide(Duration.ofSeconds(30));
      JsonNode jobs = api.get("/jobs").body().get("jobs");
      assertEquals(List.of(live), List.of(jobs.get(0)), jobs::toString);
      String[] lines = api.getText("/jobs/" + id + "/results").body().split("\n");
      assertEquals(3, lines.length);
      for (int i = 0; i < 3; i++) {
        JsonNode line = Api.MAPPER.readTree(lines[i]);
        assertEquals(liveResults.get(i).get("url"), line.get("url"), lines[i]);
        assertEquals(liveResults.get(i).get("state"), line.get("state"), lines[i]);
      }
      assertEquals("CANCELLED", liveResults.get(1).get("state").asText());
    }
    try (Connection c = DriverManager.getConnection(url, "sa", "");
         Statement st = c.createStatement();
         var rs = st.executeQuery("SELECT COUNT(*) FROM url_result WHERE state = 'CANCELLED'")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "cancelled URLs have no row in the current layout");
    }
  }
}
