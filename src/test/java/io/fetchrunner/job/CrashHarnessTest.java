package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.Journal;
import io.fetchrunner.support.TargetServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the real service (SIGKILL, child JVM) at random moments, restarts it on the same H2
 * file, and checks the invariants after every round:
 * <ul>
 *   <li>every job answered 202 exists;
 *   <li>no URL has two stored results (read from the journal while the service is down);
 *   <li>a job's counts equal its results, and a finished job stays finished;
 *   <li>in the end every job finishes and every URL of a completed job has exactly one result,
 *       and the read side (GET /jobs) shows every job with the entity's figures.
 * </ul>
 * A few rounds run in the default build. For the long run:
 * {@code mvn -B test -Dtest=CrashHarnessTest -Dcrash.rounds=300}; a failure prints its seed,
 * and {@code -Dcrash.seed=N} replays the same choices.
 */
class CrashHarnessTest {

  private enum KillPoint {
    DURING_SUBMISSION, MID_JOB, AFTER_A_RESULT_BATCH, WHILE_THE_READ_SIDE_IS_BEHIND, WHILE_IDLE
  }

  @Test
  void killedAnywhereItLosesNothing(@TempDir Path dataDir) throws IOException {
    try {
      run(dataDir);
    } catch (AssertionError | RuntimeException e) {
      keepEvidence(dataDir);
      throw e;
    }
  }

  /** Output of the service in the last rounds, kept for a failure report. */
  private final Deque<String> lastOutputs = new ArrayDeque<>();
  private ChildService current;

  /**
   * A failed round leaves its H2 file and the service's last outputs in
   * target/crash-evidence, so the journal can be read after the temp dir is gone.
   */
  private void keepEvidence(Path dataDir) throws IOException {
    Path out = Path.of("target", "crash-evidence", String.valueOf(System.currentTimeMillis()));
    Files.createDirectories(out);
    try (var files = Files.list(dataDir)) {
      for (Path f : files.toList()) {
        if (Files.isRegularFile(f)) Files.copy(f, out.resolve(f.getFileName()));
      }
    }
    int i = 0;
    for (String output : lastOutputs) {
      Files.writeString(out.resolve("service-" + i++ + ".log"), output);
    }
    if (current != null) Files.writeString(out.resolve("service-failing.log"), current.output());
    System.out.println("CrashHarnessTest: evidence kept in " + out.toAbsolutePath());
  }

  private void remember(ChildService service) {
    lastOutputs.addLast(service.output());
    while (lastOutputs.size() > 3) lastOutputs.removeFirst();
  }

  private void run(Path dataDir) {
    long seed = Long.getLong("crash.seed", System.nanoTime());
    int rounds = Integer.getInteger("crash.rounds", 3);
    Random random = new Random(seed);
    String replay = " [replay with -Dcrash.seed=" + seed + "]";
    System.out.println("CrashHarnessTest: seed " + seed + ", " + rounds + " rounds");

    Map<String, Integer> accepted = new ConcurrentHashMap<>(); // id -> URL count
    Map<String, String> finished = new HashMap<>(); // id -> final state once seen
    try (TargetServer target = new TargetServer()) {
      for (int round = 0; round < rounds; round++) {
        KillPoint point = KillPoint.values()[random.nextInt(KillPoint.values().length)];
        String where = "round " + round + ", kill " + point + replay;
        try (ChildService service = ChildService.start(dataDir)) {
          current = service;
          Api api = new Api(service.port());
          checkLive(api, accepted, finished, where);
          Set<String> before = Set.copyOf(accepted.keySet());
          Thread submitter = submitJobs(api, target, random, round, accepted);
          switch (point) {
            case DURING_SUBMISSION -> Api.sleep(random.nextInt(150));
            case MID_JOB -> {
              join(submitter);
              Api.sleep(100 + random.nextInt(900));
            }
            case AFTER_A_RESULT_BATCH -> {
              join(submitter);
              awaitAnyProgress(api, accepted.keySet());
            }
            case WHILE_THE_READ_SIDE_IS_BEHIND -> {
              join(submitter);
              awaitReadSideBehind(api);
            }
            case WHILE_IDLE -> {
              join(submitter);
              for (String id : accepted.keySet()) api.awaitFinished(id, Duration.ofSeconds(60));
            }
          }
          service.kill();
          join(submitter);
          remember(service);
          System.out.println("CrashHarnessTest: round " + round + " killed " + point
              + ", accepted " + accepted.keySet().stream().filter(id -> !before.contains(id))
                  .toList());
        }
        checkStored(dataDir, accepted, where);
      }

      try (ChildService service = ChildService.start(dataDir)) {
        current = service;
        Api api = new Api(service.port());
        String where = "after the last round" + replay;
        checkLive(api, accepted, finished, where);
        Map<String, JsonNode> live = new HashMap<>();
        for (String id : accepted.keySet()) {
          JsonNode job = api.awaitFinished(id, Duration.ofSeconds(120));
          assertEquals(0, job.get("pending").asInt(), where);
          live.put(id, job);
        }
        api.awaitReadSide(Duration.ofSeconds(120));
        Map<String, JsonNode> listed = new HashMap<>();
        api.get("/jobs?limit=1000").body().get("jobs")
            .forEach(j -> listed.put(j.get("id").asText(), j));
        for (var e : live.entrySet()) {
          JsonNode row = listed.get(e.getKey());
          assertTrue(row != null, "job " + e.getKey() + " is on the read side" + replay);
          for (String f : List.of("state", "total", "succeeded", "failed", "cancelled",
              "pending", "wallMs", "sumLatencyMs", "resumes", "refetched")) {
            assertEquals(e.getValue().get(f).asText(), row.get(f).asText(),
                "read side " + f + " of job " + e.getKey() + replay);
          }
        }
        service.terminate();
      }
      for (var e : accepted.entrySet()) {
        List<Journal.StoredEvent> events = Journal.events(dataDir, e.getKey());
        boolean completed = events.stream().anyMatch(ev -> ev.type().equals("JobCompleted"));
        boolean cancelled = events.stream().anyMatch(ev -> ev.type().equals("JobCancelled"));
        assertTrue(completed ^ cancelled, "job " + e.getKey() + " ended exactly once" + replay);
        int[] perUrl = Journal.resultsPerUrl(dataDir, e.getKey(), e.getValue());
        for (int i = 0; i < perUrl.length; i++) {
          if (completed) {
            assertEquals(1, perUrl[i], "job " + e.getKey() + " URL " + i + replay);
          } else {
            assertTrue(perUrl[i] <= 1, "job " + e.getKey() + " URL " + i + replay);
          }
        }
      }
    }
  }

  /** Submits 1 to 3 jobs from another thread, recording every job answered 202. */
  private static Thread submitJobs(Api api, TargetServer target, Random random, int round,
      Map<String, Integer> accepted) {
    int jobs = 1 + random.nextInt(3);
    List<Map<String, Object>> bodies = new ArrayList<>();
    for (int j = 0; j < jobs; j++) {
      int n = 5 + random.nextInt(56);
      int delay = random.nextInt(150);
      List<String> urls = IntStream.range(0, n)
          .mapToObj(i -> target.url("/delay/" + delay + "?r" + round + "j" + bodies.size()
              + "u" + i)).toList();
      bodies.add(Map.of("urls", urls, "concurrency", 1 + random.nextInt(16),
          "name", "crash-r" + round + "-j" + j));
    }
    Thread t = new Thread(() -> {
      for (Map<String, Object> body : bodies) {
        try {
          Api.Reply r = api.postJson(body);
          if (r.status() == 202) {
            accepted.put(r.body().get("id").asText(), ((List<?>) body.get("urls")).size());
          }
        } catch (IllegalStateException killed) {
          return; // the service died mid-request: that job was not accepted
        }
      }
    }, "submitter");
    t.start();
    return t;
  }

  private static void awaitAnyProgress(Api api, Iterable<String> ids) {
    for (int i = 0; i < 200; i++) {
      for (String id : ids) {
        try {
          JsonNode job = api.get("/jobs/" + id + "?results=false").body();
          if (job != null && job.get("succeeded") != null && job.get("succeeded").asInt() > 0
              && job.get("state").asText().equals("RUNNING")) {
            return;
          }
        } catch (IllegalStateException e) {
          return;
        }
      }
      Api.sleep(10);
    }
  }

  private static void awaitReadSideBehind(Api api) {
    for (int i = 0; i < 300; i++) {
      try {
        JsonNode status = api.get("/admin/read-side").body();
        if (status != null && status.get("behind").asLong() > 0) return;
      } catch (IllegalStateException e) {
        return;
      }
      Api.sleep(5);
    }
  }

  /** Through the API: accepted jobs exist, counts match results, finished stays finished. */
  private static void checkLive(Api api, Map<String, Integer> accepted,
      Map<String, String> finished, String where) {
    for (var e : accepted.entrySet()) {
      Api.Reply r = api.get("/jobs/" + e.getKey());
      assertEquals(200, r.status(), "accepted job " + e.getKey() + " exists, " + where);
      JsonNode job = r.body();
      int total = job.get("total").asInt();
      assertEquals(e.getValue().intValue(), total, where);
      Map<String, Integer> byState = new HashMap<>();
      job.get("results").forEach(u -> byState.merge(u.get("state").asText(), 1, Integer::sum));
      assertEquals(total, job.get("results").size(), where);
      assertEquals(byState.getOrDefault("SUCCEEDED", 0), job.get("succeeded").asInt(), where);
      assertEquals(byState.getOrDefault("FAILED", 0), job.get("failed").asInt(), where);
      assertEquals(byState.getOrDefault("CANCELLED", 0), job.get("cancelled").asInt(), where);
      assertEquals(byState.getOrDefault("PENDING", 0), job.get("pending").asInt(), where);
      String state = job.get("state").asText();
      String before = finished.get(e.getKey());
      if (before != null) assertEquals(before, state, "a finished job stays finished, " + where);
      if (!state.equals("RUNNING")) finished.put(e.getKey(), state);
    }
  }

  /** From the journal, with the service down: no URL of any job has two results. */
  private static void checkStored(Path dataDir, Map<String, Integer> accepted, String where) {
    for (var e : accepted.entrySet()) {
      int[] perUrl = Journal.resultsPerUrl(dataDir, e.getKey(), e.getValue());
      for (int i = 0; i < perUrl.length; i++) {
        if (perUrl[i] > 1) {
          fail("job " + e.getKey() + " URL " + i + " has " + perUrl[i] + " results, " + where);
        }
      }
    }
  }

  private static void join(Thread t) {
    try {
      t.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
