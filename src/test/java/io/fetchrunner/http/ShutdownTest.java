package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A graceful stop answers 503 to new calls and stores the results of fetches in flight. */
class ShutdownTest {

  @Test
  void aGracefulStopRefusesNewCallsAndStoresWhatIsInFlight(@TempDir Path dataDir) {
    try (TargetServer target = new TargetServer()) {
      List<String> paths = IntStream.range(0, 4)
          .mapToObj(i -> "/delay/1500?graceful=" + i).toList();
      String id;
      List<Integer> statuses = new ArrayList<>();
      FetchRunner service = Services.start(dataDir, "");
      Api api = new Api(service.port());
      id = api.submit(Map.of("urls", paths.stream().map(target::url).toList(),
          "concurrency", 4));
      // all four in flight, in whatever order they arrive
      for (int i = 0; i < 100 && paths.stream().anyMatch(p -> target.hits(p) == 0); i++) {
        Api.sleep(20);
      }

      CompletableFuture<Void> stopped = CompletableFuture.runAsync(service::close);
      while (!stopped.isDone()) {
        try {
          statuses.add(api.get("/health").status());
        } catch (IllegalStateException connectionClosed) {
          break;
        }
        Api.sleep(20);
      }
      stopped.join();
      assertTrue(statuses.contains(503), "calls during the stop are refused: " + statuses);

      try (FetchRunner again = Services.start(dataDir, "")) {
        JsonNode job = new Api(again.port()).get("/jobs/" + id).body();
        assertEquals("COMPLETED", job.get("state").asText(), job::toString);
        assertEquals(4, job.get("succeeded").asInt());
        assertEquals(0, job.get("resumes").asInt(), "nothing was left to resume");
        for (String p : paths) assertEquals(1, target.hits(p), p + " fetched once");
      }
    }
  }
}
