package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections kept for later requests are closed after fetchrunner.fetch.keep-alive-timeout
 * unused: a burst of thousands of connections does not hold their memory for long.
 */
class KeepAliveTest {

  @Test
  void idleConnectionsCloseAfterTheKeepAliveTimeout(@TempDir Path dataDir) {
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir,
             "fetchrunner.fetch.keep-alive-timeout = 3s")) {
      Api api = new Api(service.port());
      List<String> urls = IntStream.range(0, 20)
          .mapToObj(i -> target.url("/delay/300?keep=" + i)).toList();
      String id = api.submit(Map.of("urls", urls, "concurrency", 20));
      JsonNode job = api.awaitFinished(id, Duration.ofSeconds(30));
      assertEquals(20, job.get("succeeded").asInt(), job::toString);
      assertTrue(target.openConnections() >= 10,
          "the connections stay open right after the job: " + target.openConnections());
      int open = Integer.MAX_VALUE;
      for (int i = 0; i < 100 && open > 0; i++) {
        Api.sleep(100);
        open = target.openConnections();
      }
      assertEquals(0, open, "every idle connection closed within 10 s of a 3 s keep-alive");
    }
  }
}
