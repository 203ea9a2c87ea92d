package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.Journal;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The service is stopped mid-job (SIGKILL, or SIGTERM) in a child JVM, started again on the
 * same store (SIGKILL: the H2 file and a PostgreSQL database), and must finish the job by
 * itself: every URL ends with exactly one stored result, URLs whose result was stored are not
 * fetched again, and the downtime is not counted in wallMs.
 */
class RestartTest {
  private static final int URLS = 60;
  private static final int CONCURRENCY = 6;
  private static final long DOWNTIME_MS = 2000;

  static TargetServer target;

  @BeforeAll
  static void startTarget() {
    target = new TargetServer();
  }

  @AfterAll
  static void stopTarget() {
    target.close();
  }

  @ParameterizedTest(name = "on {0}")
  @EnumSource(TestStore.Kind.class)
  void unfinishedJobResumesAfterSigkill(TestStore.Kind kind, @TempDir Path dataDir) {
    JsonNode job;
    try (TestStore store = TestStore.open(kind, dataDir)) {
      // The target counts hits per path: a tag of its own per store.
      job = interruptAndResume(store, dataDir, "kill-" + kind, ChildService::kill);
    }
    int fetchedTwice = job.get("fetchedTwice").asInt();
    int refetched = job.get("refetched").asInt();
    assertTrue(fetchedTwice <= refetched && refetched <= CONCURRENCY,
        "the job counts the URLs in flight at the kill as re-fetched: target saw "
            + fetchedTwice + " twice, job says " + refetched);
  }

  @Test
  void unfinishedJobResumesAfterSigterm(@TempDir Path dataDir) {
    JsonNode job = interruptAndResume(TestStore.open(TestStore.Kind.H2, dataDir), dataDir,
        "term", child -> {
          int code = child.terminate();
          assertTrue(code == 0 || code == 143, "graceful stop exits cleanly, got " + code
              + "\n" + child.output());
        });
    assertEquals(0, job.get("fetchedTwice").asInt(),
        "a graceful stop stores the results of fetches in flight");
    assertEquals(0, job.get("refetched").asInt());
  }

  /**
   * Hosts take turns, so the URLs in flight at a kill are no prefix of the URL list: the job
   * counts as refetched exactly those of each host that were started and had no result.
   */
  @Test
  void aJobOfTwoHostsKilledMidRunCountsExactlyWhatWasInFlightAsRefetched(@TempDir Path dataDir) {
    try (TargetServer fast = new TargetServer()) {
      // A host that answers after a minute, first in the list, then one that answers at once.
      List<String> slowPaths = IntStream.range(0, 8)
          .mapToObj(i -> "/delay/60000?two-hosts-kill=" + i).toList();
      List<String> urls = new java.util.ArrayList<>(slowPaths.stream().map(target::url).toList());
      IntStream.range(0, 20).forEach(i -> urls.add(fast.url("/delay/0?two-hosts-kill=" + i)));
      String id;
      try (ChildService first = ChildService.start(dataDir)) {
        Api api = new Api(first.port());
        id = api.submit(Map.of("name", "two hosts", "urls", urls, "concurrency", 4,
            "timeoutMs", 120_000, "retries", 0));
        awaitSucceeded(api, id, 20); // the fast host is done: the slow one has all 4 slots
        for (int i = 0; i < 250 && !slowHits(slowPaths).equals(List.of(1, 1, 1, 1, 0, 0, 0, 0));
            i++) {
          Api.sleep(20);
        }
        assertEquals(List.of(1, 1, 1, 1, 0, 0, 0, 0), slowHits(slowPaths));
        first.kill();
      }
      try (ChildService second = ChildService.start(dataDir)) {
        Api api = new Api(second.port());
        JsonNode job = api.ownSummary(id); // a request to the job wakes it if it is not yet
        for (int i = 0; i < 250 && job.get("resumes").asInt() == 0; i++) {
          Api.sleep(20);
          job = api.ownSummary(id);
        }
        assertEquals(1, job.get("resumes").asInt(), job::toString);
        assertEquals(4, job.get("refetched").asInt(), "the slow host's 4 were in flight: "
            + job);
        assertEquals(20, job.get("succeeded").asInt());
        for (int i = 0; i < 250 && !slowHits(slowPaths).equals(List.of(2, 2, 2, 2, 0, 0, 0, 0));
            i++) {
          Api.sleep(20);
        }
        assertEquals(List.of(2, 2, 2, 2, 0, 0, 0, 0), slowHits(slowPaths),
            "the 4 in flight are fetched again, and they hold the slots again");
        assertEquals(200, api.delete("/jobs/" + id).status());
        second.terminate();
      }
    }
  }

  private static List<Integer> slowHits(List<String> paths) {
    return paths.stream().map(target::hits).toList();
  }

  /** Returns the finished job, with "fetchedTwice": how many URLs the target saw twice. */
  private JsonNode interruptAndResume(TestStore store, Path dataDir, String tag,
      Consumer<ChildService> stop) {
    List<String> paths = IntStream.range(0, URLS)
        .mapToObj(i -> "/delay/300?" + tag + "=" + i).toList();
    List<String> urls = paths.stream().map(target::url).toList();
    String id;
    Set<String> storedBeforeStop = new HashSet<>();
    try (ChildService first = ChildService.start(dataDir, store.systemProperties())) {
      Api api = new Api(first.port());
      id = api.submit(Map.of("name", "restart-" + tag, "urls", urls,
          "concurrency", CONCURRENCY));
      JsonNode progress = awaitSucceeded(api, id, URLS / 4);
      progress.get("results").forEach(r -> {
        if (!r.get("state").asText().equals("PENDING")) storedBeforeStop.add(r.get("url").asText());
      });
      stop.accept(first);
    }
    Api.sleep(DOWNTIME_MS);

    JsonNode job;
    try (ChildService second = ChildService.start(dataDir, store.systemProperties())) {
      Api api = new Api(second.port());
      job = api.awaitFinished(id, Duration.ofSeconds(60));
      api.awaitReadSide(Duration.ofSeconds(60)); // the list comes from the read side
      JsonNode listed = api.get("/jobs").body().get("jobs").get(0);
      assertEquals(id, listed.get("id").asText(), "the history survives the restart");
      assertEquals("COMPLETED", listed.get("state").asText());
      second.terminate();
    }

    assertEquals("COMPLETED", job.get("state").asText(), job::toString);
    assertEquals(URLS, job.get("succeeded").asInt());
    assertEquals(0, job.get("pending").asInt());
    assertEquals(1, job.get("resumes").asInt());
    JsonNode results = job.get("results");
    assertEquals(URLS, results.size());
    int refetched = 0;
    for (int i = 0; i < URLS; i++) {
      assertEquals(urls.get(i), results.get(i).get("url").asText());
      assertEquals("SUCCEEDED", results.get(i).get("state").asText());
      int hits = target.hits(paths.get(i));
      assertTrue(hits >= 1 && hits <= 2, paths.get(i) + " was fetched " + hits + " times");
      if (storedBeforeStop.contains(urls.get(i))) {
        assertEquals(1, hits, urls.get(i) + " had a stored result and was fetched again");
      }
      if (hits == 2) refetched++;
    }

    int[] stored = Journal.resultsPerUrl(store, id, URLS);
    for (int i = 0; i < URLS; i++) {
      assertEquals(1, stored[i], "URL " + i + " must have exactly one stored result");
    }

    Instant submitted = Instant.parse(job.get("submittedAt").asText());
    Instant finished = Instant.parse(job.get("finishedAt").asText());
    long elapsed = Duration.between(submitted, finished).toMillis();
    long wall = job.get("wallMs").asLong();
    assertTrue(wall <= elapsed - DOWNTIME_MS,
        "wallMs " + wall + " must leave out the downtime (elapsed " + elapsed + " ms)");
    assertTrue(wall >= (URLS / CONCURRENCY) * 300L, "wallMs counts the time spent fetching");
    ((com.fasterxml.jackson.databind.node.ObjectNode) job).put("fetchedTwice", refetched);
    return job;
  }

  private static JsonNode awaitSucceeded(Api api, String id, int atLeast) {
    for (int i = 0; i < 300; i++) {
      JsonNode job = api.get("/jobs/" + id).body();
      if (job.get("succeeded").asInt() >= atLeast) return job;
      Api.sleep(20);
    }
    throw new AssertionError("job made no progress: " + api.get("/jobs/" + id).body());
  }
}
