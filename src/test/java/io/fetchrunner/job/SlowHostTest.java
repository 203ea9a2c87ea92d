package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job over two hosts, one that hangs: the hanging host holds its share of the job's slots,
 * not all of them, so the other host's URLs are all fetched meanwhile (through a real service,
 * two real HTTP servers).
 */
class SlowHostTest {
  private static final int SLOW_URLS = 8;
  private static final int FAST_URLS = 40;

  @Test
  void aHostThatHangsDoesNotHoldUpTheJobsOtherHost(@TempDir Path dataDir) {
    try (TargetServer slow = new TargetServer();
        TargetServer fast = new TargetServer();
        FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      // The slow host's URLs first: started in URL order, they would take every slot.
      List<String> slowPaths = IntStream.range(0, SLOW_URLS)
          .mapToObj(i -> "/delay/120000?slow=" + i).toList();
      List<String> urls = new ArrayList<>(slowPaths.stream().map(slow::url).toList());
      // 40 URLs through the 2 slots left at 100 ms each: about 2 s of the fast host working.
      IntStream.range(0, FAST_URLS).forEach(i -> urls.add(fast.url("/delay/100?fast=" + i)));
      String id = api.submit(Map.of("name", "slow and fast", "urls", urls, "concurrency", 4,
          "timeoutMs", 300_000, "retries", 0));

      // The hits read first: if the job still has fast URLs without a result afterwards, the
      // fast host was still working when they were read.
      List<Integer> midway = null;
      for (int i = 0; i < 600 && midway == null; i++) {
        List<Integer> seen = hits(slow, slowPaths);
        int succeeded = api.ownSummary(id).get("succeeded").asInt();
        if (succeeded >= FAST_URLS) fail("the job was never seen midway");
        if (succeeded >= 10) midway = seen;
        Api.sleep(20);
      }
      assertEquals(List.of(1, 1, 0, 0, 0, 0, 0, 0), midway,
          "the hanging host holds 2 of the 4 slots while the other host has URLs");

      JsonNode job = await(api, id, j -> j.get("succeeded").asInt() == FAST_URLS,
          "every URL of the fast host fetched");
      JsonNode results = job.get("results");
      for (int i = 0; i < SLOW_URLS; i++) {
        assertEquals("PENDING", results.get(i).get("state").asText(), "slow URL " + i);
      }
      for (int i = SLOW_URLS; i < urls.size(); i++) {
        assertEquals("SUCCEEDED", results.get(i).get("state").asText(), urls.get(i));
      }

      // The fast host is done: the slow one may use every slot.
      awaitHits(slow, slowPaths, List.of(1, 1, 1, 1, 0, 0, 0, 0));

      assertEquals(200, api.delete("/jobs/" + id).status());
      JsonNode cancelled = api.awaitFinished(id, Duration.ofSeconds(30));
      assertEquals("CANCELLED", cancelled.get("state").asText());
      assertEquals(SLOW_URLS, cancelled.get("cancelled").asInt());
    }
  }

  private static List<Integer> hits(TargetServer target, List<String> paths) {
    return paths.stream().map(target::hits).toList();
  }

  private static void awaitHits(TargetServer target, List<String> paths, List<Integer> want) {
    for (int i = 0; i < 300 && !hits(target, paths).equals(want); i++) Api.sleep(50);
    assertEquals(want, hits(target, paths));
  }

  /** Polls the job (with its results) until {@code done} holds. */
  private static JsonNode await(Api api, String id, Predicate<JsonNode> done, String what) {
    JsonNode job = null;
    for (int i = 0; i < 600; i++) {
      job = api.get("/jobs/" + id).body();
      if (done.test(job)) return job;
      Api.sleep(50);
    }
    fail(what + " within 30 s: " + job);
    return null;
  }
}
