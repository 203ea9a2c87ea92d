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
 * A request that timed out or was cancelled gives its connection back at once: a host whose
 * requests hang does not jam the next job to that host, and no request goes out after its URL
 * was recorded.
 */
class TimeoutTest {
  /** Never answers within any test's time: the server holds the request. */
  private static final String HANGS = "/delay/600000";

  @Test
  void timedOutRequestsLeaveTheHostFreeForTheNextJob(@TempDir Path dataDir) {
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      List<String> hanging = IntStream.range(0, 1_100)
          .mapToObj(i -> HANGS + "?n=" + i).toList();
      String stalled = api.submit(Map.of("name", "hangs",
          "urls", hanging.stream().map(target::url).toList(),
          "concurrency", 1_000, "timeoutMs", 2_000, "retries", 0));
      JsonNode first = api.awaitFinished(stalled, Duration.ofSeconds(60));
      long recorded = System.nanoTime();
      assertEquals(1_100, first.get("failed").asInt(), () -> first.get("state").toString());
      // On a loaded machine (a load average of 30 here) the TCP layer drops some of 1,000 new
      // connections before the request goes out: such a request is sent on a new connection,
      // which may itself close or not open in time. Those fail as "closed" or
      // "timeout-connect"; every other one times out waiting for its headers.
      for (JsonNode r : first.get("results")) {
        String kind = r.get("errorKind").asText();
        assertTrue(kind.equals("timeout-headers") || kind.equals("closed")
            || kind.equals("timeout-connect"), r::toString);
        if (kind.equals("timeout-headers")) {
          assertEquals("timeout after 2000 ms waiting for response headers",
              r.get("error").asText());
        }
      }

      List<String> healthy = IntStream.range(0, 20)
          .mapToObj(i -> target.url("/delay/10?after=" + i)).toList();
      String next = api.submit(Map.of("urls", healthy, "timeoutMs", 5_000, "retries", 0));
      JsonNode second = api.awaitFinished(next, Duration.ofSeconds(10));
      assertEquals(20, second.get("succeeded").asInt(), second::toString);

      Api.sleep(1_000); // anything still queued for the hanging URLs would arrive now
      int arrived = 0;
      for (String pathAndQuery : hanging) {
        List<Long> times = target.hitTimes(pathAndQuery);
        assertTrue(times.size() <= 1, pathAndQuery + " was sent " + times.size() + " times");
        arrived += times.size();
        for (long at : times) {
          assertTrue(at < recorded, pathAndQuery + " arrived after it was recorded");
        }
      }
      // Each request went to an open connection once; one whose connection the server had not
      // accepted yet when the timeout closed it never reaches the server's application, so
      // fewer than 1,100 may arrive, but none twice and none late.
      assertTrue(arrived > 0, "the hanging requests reached the server");
    }
  }

  @Test
  void cancellingAJobClosesTheConnectionsOfItsWaitingRequests(@TempDir Path dataDir) {
    // 40 requests at most to one host: if the cancelled requests kept theirs, nothing could go.
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir,
             "fetchrunner.fetch.per-host-concurrency = 40")) {
      Api api = new Api(service.port());
      List<String> hanging = IntStream.range(0, 40)
          .mapToObj(i -> HANGS + "?cancel=" + i).toList();
      String id = api.submit(Map.of("urls", hanging.stream().map(target::url).toList(),
          "concurrency", 40, "timeoutMs", 120_000, "retries", 0));
      for (int i = 0; i < 100 && target.totalHits() < 40; i++) Api.sleep(100);
      assertEquals(40, target.totalHits(), "every request was sent before the cancel");
      assertEquals(200, api.delete("/jobs/" + id).status());
      JsonNode cancelled = api.awaitFinished(id, Duration.ofSeconds(10));
      assertEquals("CANCELLED", cancelled.get("state").asText(), cancelled::toString);
      assertEquals("cancelled", cancelled.get("results").get(0).get("errorKind").asText());

      List<String> healthy = IntStream.range(0, 20)
          .mapToObj(i -> target.url("/delay/10?after-cancel=" + i)).toList();
      String next = api.submit(Map.of("urls", healthy, "timeoutMs", 5_000, "retries", 0));
      JsonNode second = api.awaitFinished(next, Duration.ofSeconds(10));
      assertEquals(20, second.get("succeeded").asInt(), second::toString);
    }
  }

  @Test
  void aBodyThatStallsKeepsItsStatusAndTheBytesReceived(@TempDir Path dataDir) {
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("urls", List.of(target.url("/trickle/1000?every=100")),
          "timeoutMs", 1_000, "retries", 0));
      JsonNode r = api.awaitFinished(id, Duration.ofSeconds(20)).get("results").get(0);
      assertEquals("FAILED", r.get("state").asText(), r::toString);
      assertEquals(200, r.get("httpStatus").asInt(), r::toString);
      long bytes = r.get("bytes").asLong();
      assertTrue(bytes > 0 && bytes < 1000, "some of the body was received: " + r);
      assertEquals("timeout-body", r.get("errorKind").asText());
      assertEquals("timeout after 1000 ms reading the body (" + bytes + " bytes received)",
          r.get("error").asText());
    }
  }

  @Test
  void aRedirectThatNeverGotItsTurnIsRecordedAsNotSent(@TempDir Path dataDir) {
    // One request at a time per host: the hanging request holds the second host's turn.
    try (TargetServer first = new TargetServer();
         TargetServer second = new TargetServer();
         FetchRunner service = Services.start(dataDir,
             "fetchrunner.fetch.per-host-concurrency = 1")) {
      Api api = new Api(service.port());
      String holder = api.submit(Map.of("urls", List.of(second.url(HANGS + "?holds")),
          "timeoutMs", 30_000, "retries", 0));
      for (int i = 0; i < 100 && second.totalHits() < 1; i++) Api.sleep(50);
      String redirected = second.url("/delay/10?redirected");
      String id = api.submit(Map.of("urls",
          List.of(first.url("/redirect-to?url=" + redirected)), "timeoutMs", 1_000,
          "retries", 0));
      JsonNode r = api.awaitFinished(id, Duration.ofSeconds(20)).get("results").get(0);
      assertEquals("timeout-queued", r.get("errorKind").asText(), r::toString);
      assertTrue(r.get("error").asText().endsWith("it was not sent"), r::toString);
      assertEquals(0, second.hits("/delay/10?redirected"));
      assertEquals(200, api.delete("/jobs/" + holder).status());
      Api.sleep(500); // the turn it waited for is free now: it must not be sent late
      assertEquals(0, second.hits("/delay/10?redirected"), "sent after it was recorded");
    }
  }
}
