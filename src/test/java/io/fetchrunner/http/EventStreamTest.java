package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.EventStream;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /jobs/{id}/events: a job followed as it runs, resumed, and after it ended. */
class EventStreamTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static TargetServer target;

  @BeforeAll
  static void startTarget() {
    target = new TargetServer();
  }

  @AfterAll
  static void stopTarget() {
    target.close();
  }

  private static List<String> urls(String tag, int n, int delayMs) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < n; i++) urls.add(target.url("/delay/" + delayMs + "?" + tag + "=" + i));
    return urls;
  }

  /** Checks the results of a stream: numbered from {@code after + 1} on, each URL once. */
  private static Set<Integer> results(List<EventStream.Event> events, int after) {
    Set<Integer> indexes = new HashSet<>();
    int expected = after + 1;
    for (EventStream.Event e : events) {
      if (!e.type().equals("result")) continue;
      assertEquals(String.valueOf(expected++), e.id(), "result ids count up: " + e);
      assertTrue(indexes.add(e.data().get("index").asInt()), "index sent twice: " + e);
      assertEquals("SUCCEEDED", e.data().get("state").asText(), e::toString);
      assertTrue(e.data().get("url").asText().startsWith("http://127.0.0.1:"), e::toString);
    }
    return indexes;
  }

  @Test
  void aRunningJobIsFollowedToItsEndAndAReconnectionGetsOnlyWhatItMissed(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "")) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("name", "followed", "urls", urls("f", 60, 100),
          "concurrency", 4));
      List<EventStream.Event> first = new ArrayList<>();
      try (EventStream stream = EventStream.open(service.port(), "/jobs/" + id + "/events",
          null)) {
        assertEquals(200, stream.status());
        assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());
        EventStream.Event opening = stream.next(WAIT);
        assertEquals("progress", opening.type(), opening::toString);
        assertEquals("RUNNING", opening.data().get("state").asText());
        first.add(opening);
        // Read until 20 results have come, then go away.
        while (results(first, 0).size() < 20) first.add(stream.next(WAIT));
      }
      int lastId = Integer.parseInt(first.get(first.size() - 1).id());
      assertEquals(20, lastId);
      assertTrue(first.stream().filter(e -> e.type().equals("progress")).count() >= 2,
          "progress while it runs: " + first);

      try (EventStream again = EventStream.open(service.port(), "/jobs/" + id + "/events",
          String.valueOf(lastId))) {
        List<EventStream.Event> rest = again.rest(WAIT);
        Set<Integer> missed = results(rest, lastId);
        Set<Integer> all = new HashSet<>(results(first, 0));
        for (int index : missed) assertTrue(all.add(index), "sent again: " + index);
        assertEquals(60, all.size());
        EventStream.Event done = rest.get(rest.size() - 1);
        assertEquals("done", done.type(), rest::toString);
        assertEquals("60", done.id());
        assertEquals("COMPLETED", done.data().get("state").asText());
        assertEquals(60, done.data().get("succeeded").asInt());
        for (EventStream.Event e : rest) {
          if (!e.type().equals("progress")) continue;
          assertTrue(e.data().has("ratePerSecond") && e.data().has("etaMs"), e::toString);
          assertTrue(e.data().has("succeeded") && e.data().has("pending"), e::toString);
        }
      }
    }
  }

  @Test
  void aFinishedJobGivesItsResultsAndDoneAtOnce(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "")) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("name", "done already", "urls", urls("d", 5, 0)));
      api.awaitFinished(id, WAIT);
      try (EventStream stream = EventStream.open(service.port(), "/jobs/" + id + "/events",
          null)) {
        List<EventStream.Event> all = stream.rest(WAIT);
        assertEquals(5, results(all, 0).size());
        assertEquals("done", all.get(all.size() - 1).type());
        assertEquals(0, all.get(all.size() - 1).data().get("pending").asInt());
      }
      // Without results: the summary and the end only.
      try (EventStream stream = EventStream.open(service.port(),
          "/jobs/" + id + "/events?results=false", null)) {
        List<EventStream.Event> all = stream.rest(WAIT);
        assertTrue(all.stream().noneMatch(e -> e.type().equals("result")), all::toString);
        assertEquals(List.of("progress", "done"), all.stream().map(EventStream.Event::type)
            .toList());
        assertNull(all.get(0).id());
        assertEquals(0L, all.get(0).data().get("etaMs").asLong());
      }
    }
  }

  /**
   * A backlog far larger than what a stream holds for its client (32 chunks of 200) is sent
   * page by page at the client's pace, not dropped: a finished job of 8,000 URLs, read whole
   * and from a Last-Event-ID.
   */
  @Test
  void aLargeBacklogIsSentInFullAtTheClientsPace(@TempDir Path dir) {
    int n = 8_000;
    try (FetchRunner service = Services.start(dir, "")) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("name", "large backlog", "urls", urls("big", n, 0),
          "concurrency", 256));
      api.awaitFinished(id, Duration.ofSeconds(120));
      try (EventStream stream = EventStream.open(service.port(), "/jobs/" + id + "/events",
          null)) {
        List<EventStream.Event> all = stream.rest(WAIT);
        assertEquals("progress", all.get(0).type());
        assertEquals(n, results(all, 0).size());
        assertEquals("done", all.get(all.size() - 1).type());
        assertEquals(String.valueOf(n), all.get(all.size() - 1).id());
      }
      try (EventStream stream = EventStream.open(service.port(), "/jobs/" + id + "/events",
          "1234")) {
        List<EventStream.Event> rest = stream.rest(WAIT);
        assertEquals(n - 1234, results(rest, 1234).size());
        assertEquals("done", rest.get(rest.size() - 1).type());
      }
    }
  }

  @Test
  void everyJobsProgressAndEndOnOneStream(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "");
        EventStream all = EventStream.open(service.port(), "/events", null)) {
      assertEquals(200, all.status());
      Api api = new Api(service.port());
      Set<String> ids = Set.of(
          api.submit(Map.of("name", "one", "urls", urls("one", 20, 100), "concurrency", 2)),
          api.submit(Map.of("name", "two", "urls", urls("two", 10, 100), "concurrency", 2)));
      Set<String> progressed = new HashSet<>();
      Set<String> done = new HashSet<>();
      Map<String, Long> lastAt = new HashMap<>();
      while (!done.containsAll(ids)) {
        EventStream.Event e = all.next(WAIT);
        String id = e.data().get("id").asText();
        if (!ids.contains(id)) continue;
        if (e.type().equals("progress")) {
          progressed.add(id);
          assertEquals("RUNNING", e.data().get("state").asText());
          assertTrue(e.data().has("etaMs"), e::toString);
        } else {
          assertEquals("done", e.type(), e::toString);
          assertEquals("COMPLETED", e.data().get("state").asText());
          assertTrue(done.add(id), "done twice: " + e);
        }
        assertNull(e.id());
        lastAt.put(id, System.nanoTime());
      }
      assertEquals(ids, progressed);
    }
  }

  @Test
  void aClientThatDoesNotReadIsDroppedAndTheJobGoesOn(@TempDir Path dir) throws Exception {
    try (FetchRunner service = Services.start(dir, "")) {
      Api api = new Api(service.port());
      String pad = "p".repeat(300); // about 12 MB of result events in all
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 20_000; i++) urls.add(target.url("/delay/0?" + pad + "=" + i));
      String id = api.submit(Map.of("name", "unread", "urls", urls, "concurrency", 200));
      try (Socket socket = new Socket()) {
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", service.port()));
        socket.getOutputStream().write(("GET /jobs/" + id + "/events HTTP/1.1\r\n"
            + "Host: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        // The job does not wait for a client that reads nothing.
        var job = api.awaitFinished(id, Duration.ofSeconds(120));
        assertEquals("COMPLETED", job.get("state").asText());
        // The client was dropped: its connection ends (closed or reset) without done.
        socket.setSoTimeout(30_000);
        var text = new ByteArrayOutputStream();
        try {
          socket.getInputStream().transferTo(text); // to the end of the stream
        } catch (SocketException reset) {
          // what the server sent after the socket's buffers filled up is gone
        }
        String stream = text.toString(StandardCharsets.UTF_8);
        assertTrue(!stream.contains("event: done"), "the stream went on to its end");
      }
    }
  }

  @Test
  void unknownJobsAndBadLastEventIdsAreRefused(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "")) {
      Api api = new Api(service.port());
      var unknown = api.get("/jobs/4a1bf2a4-4b6e-4d9e-9d5a-0d7c4e0b2d11/events");
      assertEquals(404, unknown.status(), unknown::toString);
      String id = api.submit(Map.of("name", "x", "urls", urls("x", 1, 0)));
      try (EventStream stream = EventStream.open(service.port(), "/jobs/" + id + "/events",
          "yesterday")) {
        assertEquals(400, stream.status());
      }
      var bad = api.get("/jobs/" + id + "/events?results=maybe");
      assertEquals(400, bad.status());
      assertEquals("results", bad.body().get("field").asText(), bad::toString);
    }
  }

  @Test
  void aStreamCutByARestartResumesFromItsLastEvent(@TempDir Path dir) {
    String id;
    int lastId;
    List<EventStream.Event> before = new ArrayList<>();
    try (FetchRunner service = Services.start(dir, "")) {
      Api api = new Api(service.port());
      id = api.submit(Map.of("name", "across a restart", "urls", urls("r", 40, 200),
          "concurrency", 2));
      EventStream stream = EventStream.open(service.port(), "/jobs/" + id + "/events", null);
      while (results(before, 0).size() < 6) before.add(stream.next(WAIT));
      service.close();
      // The stream ends: with a restart event, or the connection closes.
      for (EventStream.Event e = stream.next(WAIT); e != null; e = stream.next(WAIT)) {
        before.add(e);
      }
      stream.close();
    }
    List<EventStream.Event> seen = before.stream().filter(e -> e.id() != null).toList();
    lastId = Integer.parseInt(seen.get(seen.size() - 1).id());
    try (FetchRunner service = Services.start(dir, "")) {
      try (EventStream again = EventStream.open(service.port(), "/jobs/" + id + "/events",
          String.valueOf(lastId))) {
        List<EventStream.Event> rest = again.rest(WAIT);
        Set<Integer> all = new HashSet<>(results(before, 0));
        for (int index : results(rest, lastId)) assertTrue(all.add(index), "sent twice");
        assertEquals(40, all.size());
        assertEquals("done", rest.get(rest.size() - 1).type());
      }
    }
  }
}
