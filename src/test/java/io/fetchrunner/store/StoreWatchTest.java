package io.fetchrunner.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.Journal;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When H2 closes the store under a running service (as it does after an OutOfMemoryError
 * while writing), the service stops by itself with exit status 3 instead of failing every
 * write from then on; started again, it resumes the job with nothing fetched lost or
 * recorded twice. In real processes: the store is H2's embedded file with its auto-server on,
 * so that this test can reach into the running service's database and close it.
 */
class StoreWatchTest {

  @Test
  void aStoreClosedUnderTheServiceStopsItWithStatus3AndARestartResumesTheJob(
      @TempDir Path dataDir) throws Exception {
    int n = 40;
    String url = "jdbc:h2:file:" + dataDir.resolve("fetchrunner")
        + ";AUTO_SERVER=TRUE;WRITE_DELAY=0"; // (the auto-server refuses DB_CLOSE_ON_EXIT=FALSE)
    String store = "-Dfetchrunner.store.url=" + url;
    try (TargetServer target = new TargetServer()) {
      List<String> urls = IntStream.range(0, n)
          .mapToObj(i -> target.url("/delay/200?closed=" + i)).toList();
      String id;
      try (ChildService service = ChildService.start(dataDir, store,
          "-Dfetchrunner.store.watch-interval=200ms")) {
        Api api = new Api(service.port());
        id = api.submit(Map.of("urls", urls, "concurrency", 4));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (api.ownSummary(id).get("succeeded").asInt() < 8) {
          assertTrue(System.nanoTime() < deadline, "the job did not get going");
          Api.sleep(50);
        }

        // What H2 does to itself after a fatal error: the database closes for every session.
        try (var c = DriverManager.getConnection(url, "sa", "")) {
          c.createStatement().execute("SHUTDOWN IMMEDIATELY");
        } catch (SQLException closedUnderUs) {
          // the session that closes it may hear of its own closing
        }

        assertEquals(3, service.awaitExit(), service::output);
        assertTrue(service.output().contains("the store was closed under the service"),
            service::output);
      }

      try (ChildService again = ChildService.start(dataDir, store)) {
        JsonNode done = new Api(again.port()).awaitFinished(id, Duration.ofSeconds(60));
        assertEquals("COMPLETED", done.get("state").asText(), done::toString);
        assertEquals(n, done.get("succeeded").asInt());
        assertEquals(1, done.get("resumes").asInt(), done::toString);
        int code = again.terminate();
        assertTrue(code == 0 || code == 143, "a SIGTERM still ends cleanly, got " + code);
      }
      int[] once = new int[n];
      Arrays.fill(once, 1);
      assertArrayEquals(once, Journal.resultsPerUrl(dataDir, id, n),
          "every URL has exactly one result in the journal");
    }
  }
}
