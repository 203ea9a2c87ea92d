package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.EventStream;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each result's {@code startedAt} (what the dashboard's waterfall draws): URLs fetched one at a
 * time follow each other, URLs fetched together overlap, and the event stream says the same as
 * GET /jobs/{id}.
 */
class ResultStartTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** Instant.now() and the fetcher's nanoTime latency round differently, by a millisecond or so. */
  private static final long ROUNDING_MS = 5;
  private static TargetServer target;

  @BeforeAll
  static void startTarget() {
    target = new TargetServer();
  }

  @AfterAll
  static void stopTarget() {
    target.close();
  }

  private record Bar(long start, long end) {}

  private static List<Bar> bars(JsonNode job) {
    List<Bar> bars = new ArrayList<>();
    for (JsonNode r : job.get("results")) {
      assertTrue(r.hasNonNull("startedAt"), () -> "a fetched URL has startedAt: " + r);
      long start = Instant.parse(r.get("startedAt").asText()).toEpochMilli();
      bars.add(new Bar(start, start + r.get("latencyMs").asLong()));
    }
    bars.sort(Comparator.comparingLong(Bar::start));
    return bars;
  }

  private static List<String> urls(String tag, int n) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < n; i++) urls.add(target.url("/delay/300?" + tag + "=" + i));
    return urls;
  }

  @Test
  void oneAtATimeTheBarsFollowEachOtherAndTogetherTheyOverlap(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "")) {
      Api api = new Api(service.port());
      String serial = api.submit(Map.of("name", "serial", "urls", urls("s", 3),
          "concurrency", 1));
      String parallel = api.submit(Map.of("name", "parallel", "urls", urls("p", 3),
          "concurrency", 3));

      List<Bar> one = bars(api.awaitFinished(serial, WAIT));
      for (int i = 1; i < one.size(); i++) {
        assertTrue(one.get(i).start() >= one.get(i - 1).end() - ROUNDING_MS,
            "fetched one at a time, each starts after the previous ended: " + one);
      }

      List<Bar> together = bars(api.awaitFinished(parallel, WAIT));
      long lastStart = together.get(together.size() - 1).start();
      long firstEnd = together.stream().mapToLong(Bar::end).min().orElseThrow();
      assertTrue(lastStart < firstEnd,
          "fetched together, every URL started before any ended: " + together);
    }
  }

  @Test
  void theEventStreamGivesTheSameStartsAsTheJob(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "")) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("name", "streamed", "urls", urls("e", 4),
          "concurrency", 2));
      JsonNode job = api.awaitFinished(id, WAIT);
      Map<Integer, String> streamed = new HashMap<>();
      try (EventStream stream = EventStream.open(service.port(), "/jobs/" + id + "/events",
          null)) {
        for (EventStream.Event e : stream.rest(WAIT)) {
          if (e.type().equals("result")) {
            streamed.put(e.data().get("index").asInt(), e.data().get("startedAt").asText());
          }
        }
      }
      assertEquals(4, streamed.size(), streamed::toString);
      for (int i = 0; i < 4; i++) {
        JsonNode startedAt = job.get("results").get(i).get("startedAt");
        assertNotNull(startedAt);
        assertEquals(startedAt.asText(), streamed.get(i), "result " + i);
      }
    }
  }
}
