package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fresh data after a kill -9, in real processes. The journal's ordering column takes its values
 * 1,000 at a time (sql/h2-schema.sql): the restarted service writes above everything the killed
 * one had reserved, so the journal has a gap that no write can fill any more. GET /jobs, the
 * exports and /stats must show a job finished after the restart at once, not after the read side
 * has waited at that gap; and a rebuild must not wait at it again either.
 */
class ReadSideRestartTest {
  /**
   * Far above the read side's pace (a poll every 200 ms) and the 1 s, far below the
   * gap wait of the reader before issue 15 (10 s): no timing assertion tighter than that.
   */
  private static final Duration FRESH_WITHIN = Duration.ofSeconds(5);

  @Test
  void freshDataDoesNotWaitAtTheGapAKillLeaves(@TempDir Path dataDir) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (TargetServer target = new TargetServer()) {
      try (ChildService first = ChildService.start(dataDir)) {
        Api api = new Api(first.port());
        String before = api.submit(Map.of("name", "before " + run, "urls",
            IntStream.range(0, 20).mapToObj(i -> target.url("/delay/1?b=" + i)).toList()));
        api.awaitFinished(before, Duration.ofSeconds(30));
        api.awaitReadSide(Duration.ofSeconds(30));
        first.kill();
      }
      try (ChildService second = ChildService.start(dataDir)) {
        long ready = System.nanoTime();
        Api api = new Api(second.port());
        List<String> urls =
            IntStream.range(0, 3).mapToObj(i -> target.url("/delay/1?f=" + i)).toList();
        String fresh = api.submit(Map.of("name", "fresh " + run, "urls", urls));
        api.awaitFinished(fresh, Duration.ofSeconds(30));
        long finished = System.nanoTime();
        long shown = awaitInHistory(api, fresh, "fresh " + run, urls.size());
        System.out.printf("after kill -9: job finished %d ms after the service was ready,"
                + " in GET /jobs, its export and /stats %d ms after it finished (%d ms after"
                + " ready)%n", ms(finished - ready), ms(shown - finished), ms(shown - ready));
        assertTrue(shown - finished < FRESH_WITHIN.toNanos(), "history showed the job "
            + ms(shown - finished) + " ms after it finished: " + api.get("/admin/read-side"));

        Api.Reply r = api.post("/admin/read-side/rebuild", "application/json", "");
        assertEquals(202, r.status(), r::toString);
        long rebuilding = System.nanoTime();
        long rebuilt = awaitInHistory(api, fresh, "fresh " + run, urls.size());
        System.out.printf("rebuild: the job back in the history %d ms after POST%n",
            ms(rebuilt - rebuilding));
        assertTrue(rebuilt - rebuilding < FRESH_WITHIN.toNanos(), "the rebuild showed the job "
            + ms(rebuilt - rebuilding) + " ms after it began: " + api.get("/admin/read-side"));
        assertEquals(0, second.terminate() % 143);
      }
    }
  }

  /** Waits until the list, the export and /stats all show the job finished; returns when. */
  private static long awaitInHistory(Api api, String id, String name, int urls) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode jobs = api.get("/jobs?name=" + name.replace(" ", "%20")).body().get("jobs");
      boolean listed = jobs.size() == 1 && jobs.get(0).get("id").asText().equals(id)
          && jobs.get(0).get("state").asText().equals("COMPLETED");
      Api.TextReply export = api.getText("/jobs/" + id + "/results");
      boolean exported = export.status() == 200
          && export.body().split("\n").length == urls && !export.body().contains("PENDING");
      JsonNode stats = api.get("/stats?name=" + name.replace(" ", "%20")).body();
      boolean counted = stats.get("jobs").get("completed").asInt() == 1
          && stats.get("urls").get("succeeded").asInt() == urls;
      if (listed && exported && counted) return System.nanoTime();
      Api.sleep(20);
    }
    throw new AssertionError("job " + id + " never showed finished in the history: "
        + api.get("/admin/read-side"));
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }
}
