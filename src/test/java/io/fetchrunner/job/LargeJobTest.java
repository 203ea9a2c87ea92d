package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Journal;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 URLs finishing nearly together must all be recorded: no result lost to the
 * persistence stash, each stored exactly once, and all of them back after a restart.
 */
class LargeJobTest {
  private static final int URLS = 10_000;

  @Test
  void tenThousandUrlsAreAllRecorded(@TempDir Path dataDir) {
    String text = IntStream.range(0, URLS)
        .mapToObj(i -> "/delay/5?large=" + i).collect(Collectors.joining("\n"));
    String id;
    JsonNode finished;
    try (TargetServer target = new TargetServer()) {
      String body = IntStream.range(0, URLS)
          .mapToObj(i -> target.url("/delay/5?large=" + i)).collect(Collectors.joining("\n"));
      try (FetchRunner service = Services.start(dataDir, "")) {
        Api api = new Api(service.port());
        Api.Reply accepted = api.post("/jobs?name=large&concurrency=250", "text/plain", body);
        assertEquals(202, accepted.status(), accepted::toString);
        id = accepted.body().get("id").asText();
        finished = api.awaitFinished(id, Duration.ofSeconds(180));
      }
      assertEquals("COMPLETED", finished.get("state").asText());
      assertEquals(URLS, finished.get("succeeded").asInt(), finished.get("failed")::toString);
      assertEquals(URLS, finished.get("results").size());
      for (String path : text.split("\n")) {
        assertEquals(1, target.hits(path), path + " fetched once");
      }
    }

    int[] stored = Journal.resultsPerUrl(dataDir, id, URLS);
    for (int i = 0; i < URLS; i++) assertEquals(1, stored[i], "stored results of URL " + i);

    try (FetchRunner again = Services.start(dataDir, "")) {
      JsonNode recovered = new Api(again.port()).get("/jobs/" + id).body();
      assertEquals(finished, recovered, "the job reads back the same after a restart");
      assertTrue(recovered.get("speedup").asDouble() > 1.0);
    }
  }
}
