package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.Journal;
import io.fetchrunner.support.TargetServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read side against the journal, across a SIGKILL while it is busy: a mix of completed
 * (with failed URLs), cancelled and resumed jobs, one of them large enough to keep the
 * projection writing when the service is killed. After the restart every figure of GET /jobs,
 * GET /stats and the exports must equal what the stored events say (replayed here from the
 * H2 file by the test's own code), no job may be missing or counted twice, and a rebuild
 * from scratch must produce identical tables.
 */
class ReadSideCrashTest {
  private static final int BIG = 10_000;

  static TargetServer target;

  @BeforeAll
  static void startTarget() {
    target = new TargetServer();
  }

  @AfterAll
  static void stopTarget() {
    target.close();
  }

  @Test
  void readSideMatchesTheJournalAfterAKillAndARebuild(@TempDir Path dataDir) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> jobs = new LinkedHashMap<>(); // id -> role
    try (ChildService first = ChildService.start(dataDir)) {
      Api api = new Api(first.port());
      List<String> mixed = new ArrayList<>();
      for (int i = 0; i < 6; i++) mixed.add(target.url("/delay/" + (10 * i) + "?ok=" + i));
      mixed.add(target.url("/status/404?ok=x"));
      mixed.add("http://127.0.0.1:" + freePort() + "/refused");
      String ok = api.submit(Map.of("name", "mixed " + run, "urls", mixed));
      jobs.put(ok, "completed");
      api.awaitFinished(ok, Duration.ofSeconds(30));

      String cancelled = api.submit(Map.of("name", "cancelled " + run, "concurrency", 1,
          "urls", IntStream.range(0, 5).mapToObj(i -> target.url("/delay/30000?cx=" + i))
              .toList()));
      jobs.put(cancelled, "cancelled");
      assertEquals(200, api.delete("/jobs/" + cancelled).status());

      // About 10 s of work: still running when the service is killed, even on a busy machine.
      String resumed = api.submit(Map.of("name", "resumed " + run, "concurrency", 2,
          "urls", IntStream.range(0, 40).mapToObj(i -> target.url("/delay/500?r=" + i))
              .toList()));
      jobs.put(resumed, "resumed");
      String big = api.submit(Map.of("name", "big " + run, "concurrency", 200,
          "urls", IntStream.range(0, BIG).mapToObj(i -> target.url("/delay/1?big=" + i))
              .toList()));
      jobs.put(big, "big");

      // Kill while the big job pours events in and the read side is behind the journal.
      JsonNode status = null;
      for (int i = 0; i < 600; i++) {
        status = api.get("/admin/read-side").body();
        JsonNode bigNow = api.get("/jobs/" + big + "?results=false").body();
        if (status.get("behind").asLong() > 0 && bigNow.get("succeeded").asInt() > BIG / 10) {
          break;
        }
        Api.sleep(20);
      }
      assertTrue(status.get("behind").asLong() > 0, "read side should be busy: " + status);
      assertEquals("RUNNING", api.get("/jobs/" + resumed + "?results=false").body()
          .get("state").asText(), "the job to resume must still be running at the kill");
      first.kill();
      System.out.println("killed with the read side at " + status);
    }

    Map<String, JsonNode> listed = new HashMap<>();
    JsonNode stats;
    Map<String, List<JsonNode>> exported = new HashMap<>();
    Map<String, String> csv = new HashMap<>();
    try (ChildService second = ChildService.start(dataDir)) {
      Api api = new Api(second.port());
      for (String id : jobs.keySet()) api.awaitFinished(id, Duration.ofSeconds(120));
      api.awaitReadSide(Duration.ofSeconds(120));
      String cursor = null;
      do {
        JsonNode page = api.get("/jobs?limit=3&name=" + run
            + (cursor == null ? "" : "&cursor=" + cursor)).body();
        for (JsonNode j : page.get("jobs")) {
          JsonNode before = listed.put(j.get("id").asText(), j);
          assertTrue(before == null, "job listed twice: " + j);
        }
        cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
      } while (cursor != null);
      stats = api.get("/stats?name=" + run).body();
      for (String id : jobs.keySet()) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : api.getText("/jobs/" + id + "/results").body().split("\n")) {
          lines.add(Api.MAPPER.readTree(line));
        }
        exported.put(id, lines);
        csv.put(id, api.getText("/jobs/" + id + "/results?format=csv").body());
      }
      assertEquals(0, second.terminate() % 143);
    }

    // What the events say, replayed by the test itself.
    Map<String, JsonNode> expected = new LinkedHashMap<>();
    for (String id : jobs.keySet()) expected.put(id, replay(Journal.events(dataDir, id)));
    assertEquals(1, expected.get(jobs.keySet().stream()
        .filter(id -> jobs.get(id).equals("resumed")).findFirst().orElseThrow())
        .get("resumes").asInt(), "the resumed job was interrupted once");
    assertEquals("CANCELLED", expected.get(jobs.keySet().stream()
        .filter(id -> jobs.get(id).equals("cancelled")).findFirst().orElseThrow())
        .get("state").asText());

    assertEquals(jobs.keySet(), listed.keySet(), "every job listed exactly once");
    for (String id : jobs.keySet()) {
      JsonNode want = expected.get(id);
      assertSummary(want, listed.get(id));
      List<JsonNode> lines = exported.get(id);
      JsonNode results = want.get("results");
      assertEquals(results.size(), lines.size(), "one export line per URL of " + id);
      String[] csvRows = csv.get(id).split("\n");
      assertEquals(results.size() + 1, csvRows.length);
      for (int i = 0; i < results.size(); i++) {
        ObjectNode line = ((ObjectNode) results.get(i)).deepCopy();
        ObjectNode withIndex = Api.MAPPER.createObjectNode().put("index", i);
        withIndex.setAll(line);
        assertEquals(Api.MAPPER.readTree(withIndex.toString()), lines.get(i),
            "result " + i + " of " + jobs.get(id));
        assertTrue(csvRows[i + 1].startsWith(i + "," + results.get(i).get("url").asText()
            + "," + results.get(i).get("state").asText() + ","), csvRows[i + 1]);
      }
    }
    Expected.stats(new ArrayList<>(expected.values())).assertMatches(stats);

    // Rebuild from scratch: identical tables.
    Map<String, List<List<String>>> before = tables(dataDir);
    // A row per URL with a result (pending and cancelled URLs have none), none twice.
    long withResult = 0;
    for (JsonNode want : expected.values()) {
      for (JsonNode r : want.get("results")) {
        String state = r.get("state").asText();
        if (state.equals("SUCCEEDED") || state.equals("FAILED")) withResult++;
      }
    }
    assertEquals(withResult, before.get("url_result").size(), "no URL row twice");
    assertEquals(before.get("job_run").size(),
        before.get("job_url_chunk").stream().map(r -> r.get(0)).distinct().count(),
        "every job has its URL list");
    try (ChildService third = ChildService.start(dataDir)) {
      Api api = new Api(third.port());
      api.awaitReadSide(Duration.ofSeconds(60));
      Api.Reply r = api.post("/admin/read-side/rebuild", "application/json", "");
      assertEquals(202, r.status(), r::toString);
      api.awaitReadSide(Duration.ofSeconds(120));
      assertEquals(0, third.terminate() % 143);
    }
    Map<String, List<List<String>>> after = tables(dataDir);
    assertEquals(before.get("job_run"), after.get("job_run"));
    assertEquals(before.get("url_result"), after.get("url_result"));
    assertEquals(before.get("job_url_chunk"), after.get("job_url_chunk"));
    assertEquals(before.get("offset"), after.get("offset"));
  }

  private static void assertSummary(JsonNode want, JsonNode got) {
    for (String f : List.of("id", "name", "state", "total", "succeeded", "failed", "cancelled",
        "pending", "wallMs", "sumLatencyMs", "resumes", "refetched")) {
      assertEquals(want.get(f).asText(), got.get(f).asText(),
          () -> f + ": want " + want.get(f) + " in " + got);
    }
    assertEquals(Instant.parse(want.get("submittedAt").asText()),
        Instant.parse(got.get("submittedAt").asText()));
    assertEquals(want.get("finishedAt").isNull() ? null
            : Instant.parse(want.get("finishedAt").asText()),
        got.get("finishedAt").isNull() ? null : Instant.parse(got.get("finishedAt").asText()));
    assertEquals(want.get("speedup").isNull() ? null : want.get("speedup").asDouble(),
        got.get("speedup").isNull() ? null : got.get("speedup").asDouble());
  }

  /**
   * A job's summary and results from its stored events, by the rules the README states:
   * one result per URL, wall time per run from RunStarted to the run's last result, a
   * cancellation makes every pending URL CANCELLED.
   */
  static JsonNode replay(List<Journal.StoredEvent> events) {
    ObjectNode job = Api.MAPPER.createObjectNode();
    JsonNode[] results = new JsonNode[0];
    List<String> urls = List.of();
    long closedWall = 0;
    Instant runStart = null;
    Instant last = null;
    int runs = 0;
    int refetched = 0;
    String state = "RUNNING";
    Instant finished = null;
    for (Journal.StoredEvent e : events) {
      JsonNode f = e.fields();
      switch (e.type()) {
        case "JobSubmitted" -> {
          JsonNode spec = f.get("spec");
          job.put("id", spec.get("id").asText());
          job.put("name", spec.get("name").asText());
          job.put("submittedAt", instant(spec.get("submittedAt")).toString());
          urls = new ArrayList<>();
          for (JsonNode u : spec.get("urls")) urls.add(u.asText());
          results = new JsonNode[urls.size()];
        }
        case "RunStarted" -> {
          closedWall += runStart == null || last == null ? 0
              : Math.max(0, Duration.between(runStart, last).toMillis());
          runStart = instant(f.get("at"));
          last = null;
          runs++;
          if (f.get("refetching") != null) refetched += f.get("refetching").asInt();
        }
        case "FetchesStarted", "HostsStarted" -> {
          // where dispatch had got to: only the entity needs it (to count refetching)
        }
        case "UrlFetched" -> {
          int i = f.get("index").asInt();
          if (results[i] == null) results[i] = f.get("result");
          last = instant(f.get("at"));
        }
        case "UrlsFetched" -> {
          for (JsonNode o : f.get("results")) {
            int i = o.get("index").asInt();
            if (results[i] == null) results[i] = o.get("result");
          }
          last = instant(f.get("at"));
        }
        case "JobCompleted" -> {
          state = "COMPLETED";
          finished = instant(f.get("at"));
        }
        case "JobCancelled" -> {
          for (int i = 0; i < results.length; i++) {
            if (results[i] == null) {
              results[i] = Api.MAPPER.createObjectNode().put("state", "CANCELLED")
                  .putNull("httpStatus").put("bytes", 0).put("latencyMs", 0)
                  .put("attempts", 0).putNull("error").put("errorKind", "cancelled")
                  .putNull("contentType").putNull("sha256");
            }
          }
          last = instant(f.get("at"));
          state = "CANCELLED";
          finished = instant(f.get("at"));
        }
        default -> throw new AssertionError("unexpected event " + e.type());
      }
    }
    long wall = closedWall + (runStart == null || last == null ? 0
        : Math.max(0, Duration.between(runStart, last).toMillis()));
    int succeeded = 0;
    int failed = 0;
    int cancelled = 0;
    long sumLatency = 0;
    ArrayNode out = Api.MAPPER.createArrayNode();
    for (int i = 0; i < results.length; i++) {
      JsonNode r = results[i];
      ObjectNode entry = out.addObject().put("url", urls.get(i));
      if (r == null) {
        entry.put("state", "PENDING").putNull("httpStatus").putNull("bytes")
            .putNull("latencyMs").put("attempts", 0).putNull("error").putNull("errorKind")
            .putNull("contentType").putNull("sha256");
        entry.putArray("redirects");
        entry.putArray("earlierAttempts");
        entry.putNull("etag").putNull("lastModified").putNull("notModified");
        continue;
      }
      String s = r.get("state").asText();
      switch (s) {
        case "SUCCEEDED" -> succeeded++;
        case "FAILED" -> failed++;
        default -> cancelled++;
      }
      sumLatency += r.get("latencyMs").asLong();
      entry.put("state", s);
      entry.set("httpStatus", r.get("httpStatus") == null ? Api.MAPPER.nullNode()
          : r.get("httpStatus"));
      entry.put("bytes", r.get("bytes").asLong());
      entry.put("latencyMs", r.get("latencyMs").asLong());
      entry.put("attempts", r.get("attempts").asInt());
      entry.set("error", r.get("error") == null ? Api.MAPPER.nullNode() : r.get("error"));
      entry.set("errorKind", r.get("errorKind") == null ? Api.MAPPER.nullNode()
          : r.get("errorKind"));
      entry.set("contentType", r.get("contentType") == null ? Api.MAPPER.nullNode()
          : r.get("contentType"));
      entry.set("sha256", r.get("sha256") == null ? Api.MAPPER.nullNode() : r.get("sha256"));
      entry.set("redirects", r.get("redirects") == null ? Api.MAPPER.createArrayNode()
          : r.get("redirects"));
      entry.set("earlierAttempts", r.get("earlierAttempts") == null
          ? Api.MAPPER.createArrayNode() : r.get("earlierAttempts"));
      for (String field : List.of("etag", "lastModified", "notModified")) {
        entry.set(field, r.get(field) == null ? Api.MAPPER.nullNode() : r.get(field));
      }
    }
    job.put("state", state);
    job.put("total", results.length);
    job.put("succeeded", succeeded);
    job.put("failed", failed);
    job.put("cancelled", cancelled);
    job.put("pending", results.length - succeeded - failed - cancelled);
    if (finished == null) {
      job.putNull("finishedAt");
    } else {
      job.put("finishedAt", finished.toString());
    }
    job.put("wallMs", wall);
    job.put("sumLatencyMs", sumLatency);
    if (wall > 0 && sumLatency > 0) {
      job.put("speedup", Math.round(sumLatency * 100.0 / wall) / 100.0);
    } else {
      job.putNull("speedup");
    }
    job.put("resumes", Math.max(0, runs - 1));
    job.put("refetched", refetched);
    job.set("results", out);
    return job;
  }

  /** Instants as Pekko's Jackson writes them: ISO text, or seconds with a fraction. */
  private static Instant instant(JsonNode n) {
    if (n.isTextual()) return Instant.parse(n.asText());
    java.math.BigDecimal seconds = n.decimalValue();
    long s = seconds.longValue();
    return Instant.ofEpochSecond(s, seconds.subtract(java.math.BigDecimal.valueOf(s))
        .movePointRight(9).longValue());
  }

  /** The read side's tables, row by row in key order (open only while no service runs). */
  private static Map<String, List<List<String>>> tables(Path dataDir) throws Exception {
    String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fetchrunner");
    Map<String, List<List<String>>> out = new HashMap<>();
    try (Connection c = DriverManager.getConnection(url, "sa", "");
         Statement st = c.createStatement()) {
      out.put("job_run", rows(st, "SELECT * FROM job_run ORDER BY job_id"));
      out.put("url_result", rows(st, "SELECT * FROM url_result ORDER BY job_id, idx"));
      out.put("job_url_chunk",
          rows(st, "SELECT job_id, chunk, urls FROM job_url_chunk ORDER BY job_id, chunk"));
      out.put("offset", rows(st, "SELECT projection, last_ordering FROM read_side_offset"));
    }
    return out;
  }

  private static List<List<String>> rows(Statement st, String sql) throws Exception {
    List<List<String>> rows = new ArrayList<>();
    try (ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) row.add(rs.getString(i));
        rows.add(row);
      }
    }
    return rows;
  }

  private static int freePort() {
    try (var s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
