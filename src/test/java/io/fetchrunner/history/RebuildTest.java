package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POST /admin/read-side/rebuild answers for what happened: 202 once the read side is emptied,
 * and a problem (503) when it could not be, to every caller waiting on that attempt, long before
 * the ask timeout; the read side then goes on as it was.
 */
class RebuildTest {

  @Test
  void aRebuildThatCannotEmptyTheReadSideAnswersWithAProblem(@TempDir Path dataDir)
      throws Exception {
    // An ask timeout longer than the test waits: an answer must come from the rebuild itself.
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir, "fetchrunner.http.ask-timeout = 90s")) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("name", "kept", "urls", List.of(target.url("/delay/1"))));
      api.awaitFinished(id, Duration.ofSeconds(30));
      api.awaitReadSide(Duration.ofSeconds(30));

      var store = service.settings().store();
      try (Connection holder = DriverManager.getConnection(store.url(), store.user(),
          store.password())) {
        // Another transaction holds a row the rebuild must delete: H2 gives up waiting for
        // its lock after its lock timeout, and the rebuild's transaction fails.
        holder.setAutoCommit(false);
        try (PreparedStatement st = holder.prepareStatement(
            "UPDATE job_url_chunk SET chunk = chunk WHERE job_id = ?")) {
          st.setString(1, id);
          assertEquals(1, st.executeUpdate());
        }
        long start = System.nanoTime();
        var first = CompletableFuture.supplyAsync(
            () -> api.post("/admin/read-side/rebuild", "application/json", ""));
        Api.sleep(300); // the second arrives while the first one's reset waits for the lock
        var second = CompletableFuture.supplyAsync(
            () -> api.post("/admin/read-side/rebuild", "application/json", ""));
        for (Api.Reply r : List.of(first.get(), second.get())) {
          assertEquals(503, r.status(), r::toString);
          assertEquals("application/problem+json", r.contentType(), r::toString);
          assertTrue(r.body().get("detail").asText().contains("could not be emptied")
              && r.body().get("detail").asText().contains("lock"),
              r::toString);
        }
        long waited = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waited < 60_000, "answered after " + waited + " ms");
        holder.rollback();
      }
      // Nothing was emptied, and the read side goes on.
      assertEquals(1, api.get("/jobs?name=kept").body().get("jobs").size());
      String later = api.submit(Map.of("name", "later", "urls", List.of(target.url("/delay/1"))));
      api.awaitFinished(later, Duration.ofSeconds(30));
      api.awaitListed(later);

      Api.Reply ok = api.post("/admin/read-side/rebuild", "application/json", "");
      assertEquals(202, ok.status(), ok::toString);
      api.awaitReadSide(Duration.ofSeconds(30));
      assertEquals(2, api.get("/jobs").body().get("jobs").size());
    }
  }
}
