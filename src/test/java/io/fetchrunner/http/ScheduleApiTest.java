package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schedules on the real service in a child process: each firing an ordinary job linked by
 * scheduleId, listed by the history's filter; paused, changed, deleted; killed with -9 and
 * started again, it goes on firing and fires no time twice. Bad schedules are 400 naming the
 * field, and store nothing.
 */
class ScheduleApiTest {
  @TempDir static Path dir;
  static TargetServer target;
  static ChildService service;
  static Api api;

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = ChildService.start(dir);
    api = new Api(service.port());
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    if (target != null) target.close();
  }

  private static Api.Reply send(String method, String path, Object body) {
    return api.call(method, path, Map.of(), body);
  }

  private static JsonNode awaitFired(String id, int n) {
    for (int i = 0; i < 300; i++) {
      JsonNode s = send("GET", "/schedules/" + id, null).body();
      int fired = 0;
      for (JsonNode run : s.get("lastRuns")) {
        if (run.get("outcome").asText().equals("fired")) fired++;
      }
      if (fired >= n) return s;
      Api.sleep(100);
    }
    throw new AssertionError("schedule " + id + " did not fire " + n + " times: "
        + send("GET", "/schedules/" + id, null));
  }

  @Test
  void aScheduleFiresJobsGoesOnAfterAKillAndFiresNoTimeTwice() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    Api.Reply created = send("POST", "/schedules", Map.of("name", "every-2s-" + tag,
        "urls", List.of(target.url("/delay/0?sched=" + tag)), "every", "PT2S",
        "options", Map.of("concurrency", 1, "retries", 0)));
    assertEquals(201, created.status(), created.toString());
    String id = created.body().get("id").asText();
    assertEquals("/schedules/" + id, created.location());
    assertEquals("PT2S", created.body().get("every").asText());
    assertEquals(1, created.body().get("urls").asInt());
    assertTrue(created.body().hasNonNull("nextRunAt"));

    JsonNode fired = awaitFired(id, 2);
    String jobId = fired.get("lastJobId").asText();
    JsonNode job = api.awaitFinished(jobId, Duration.ofSeconds(30));
    assertEquals(id, job.get("scheduleId").asText());
    assertEquals("every-2s-" + tag, job.get("name").asText());

    // Killed (no stop, no drain) and started again on the same data: it goes on.
    service.kill();
    service = ChildService.start(dir);
    api = new Api(service.port());
    JsonNode after = awaitFired(id, fired.get("lastRuns").size() + 2);
    Set<String> times = new HashSet<>();
    int firedRuns = 0;
    for (JsonNode run : after.get("lastRuns")) {
      if (!run.get("outcome").asText().equals("fired")) continue;
      firedRuns++;
      assertTrue(times.add(run.get("scheduledFor").asText()), "fired twice: " + after);
    }

    // Paused: no more firings; the history lists its jobs by scheduleId.
    Api.Reply paused = send("PATCH", "/schedules/" + id, Map.of("paused", true));
    assertEquals(200, paused.status(), paused.toString());
    assertTrue(paused.body().get("paused").asBoolean());
    int runs = send("GET", "/schedules/" + id, null).body().get("lastRuns").size();
    Api.sleep(4500);
    assertEquals(runs, send("GET", "/schedules/" + id, null).body().get("lastRuns").size(),
        "nothing fires while paused");
    api.awaitReadSide(Duration.ofSeconds(60));
    JsonNode jobs = api.get("/jobs?limit=1000&scheduleId=" + id).body().get("jobs");
    Set<String> listed = new HashSet<>();
    jobs.forEach(j -> listed.add(j.get("id").asText()));
    for (JsonNode run : after.get("lastRuns")) {
      if (run.hasNonNull("jobId")) assertTrue(listed.contains(run.get("jobId").asText()));
    }
    assertTrue(jobs.size() >= firedRuns, jobs.size() + " jobs for " + firedRuns + " firings");

    JsonNode all = send("GET", "/schedules", null).body().get("schedules");
    assertTrue(all.toString().contains(id), all.toString());
    Api.Reply changed = send("PATCH", "/schedules/" + id, Map.of("cron", "0 3 * * *",
        "zone", "Europe/Berlin", "overlap", "queue-one"));
    assertEquals(200, changed.status(), changed.toString());
    assertTrue(changed.body().get("every").isNull());
    assertEquals("0 3 * * *", changed.body().get("cron").asText());
    assertEquals("queue-one", changed.body().get("overlap").asText());
    assertEquals(204, send("DELETE", "/schedules/" + id, null).status());
    assertEquals(404, send("GET", "/schedules/" + id, null).status());
    assertEquals(404, send("DELETE", "/schedules/" + id, null).status());
  }

  @Test
  void badSchedulesAre400NamingTheFieldAndNothingIsStored() {
    int before = send("GET", "/schedules", null).body().get("schedules").size();
    String url = target.url("/delay/0?bad-schedule");
    Map<Object, String> cases = new java.util.LinkedHashMap<>();
    cases.put(Map.of("urls", List.of(url), "cron", "61 * * * *"), "cron");
    cases.put(Map.of("urls", List.of(url), "cron", "0 3 * * *", "zone", "Mars/Base"), "zone");
    cases.put(Map.of("urls", List.of(url), "every", "fortnightly"), "every");
    cases.put(Map.of("urls", List.of(url), "every", "PT0.1S"), "every");
    cases.put(Map.of("urls", List.of(url)), "every");
    cases.put(Map.of("urls", List.of(url), "every", "PT1M", "cron", "0 3 * * *"), "every");
    cases.put(Map.of("every", "PT1M"), "urls");
    cases.put(Map.of("urls", List.of(url), "fromJob", UUID.randomUUID().toString(),
        "every", "PT1M"), "urls");
    cases.put(Map.of("urls", List.of(url), "every", "PT1M", "options",
        Map.of("concurrency", 0)), "options.concurrency");
    cases.put(Map.of("urls", List.of(url), "every", "PT1M", "options",
        Map.of("colour", "red")), "options.colour");
    cases.put(Map.of("urls", List.of("ftp://127.0.0.1/x"), "every", "PT1M"), "urls[0]");
    cases.put(Map.of("urls", List.of(url), "every", "PT1M", "overlap", "sometimes"),
        "overlap");
    cases.put(Map.of("urls", List.of(url), "every", "PT1M", "catchUp", "all"), "catchUp");
    cases.put(Map.of("urls", List.of(url), "every", "PT1M", "colour", "red"), "colour");
    cases.forEach((body, field) -> {
      Api.Reply r = send("POST", "/schedules", body);
      assertEquals(400, r.status(), body + ": " + r);
      assertEquals(field, r.body().get("field").asText(), body + ": " + r);
    });
    Api.Reply unknownJob = send("POST", "/schedules", Map.of("fromJob",
        UUID.randomUUID().toString(), "every", "PT1M"));
    assertEquals(404, unknownJob.status(), unknownJob.toString());
    assertEquals("fromJob", unknownJob.body().get("field").asText());
    assertEquals(before, send("GET", "/schedules", null).body().get("schedules").size());
    assertEquals(0, target.hits("/delay/0?bad-schedule"));

    Api.Reply ok = send("POST", "/schedules", Map.of("urls", List.of(url), "cron",
        "0 3 * * *"));
    String id = ok.body().get("id").asText();
    for (Object patch : List.of(Map.of("cron", "0 25 * * *"), Map.of("paused", "yes"),
        Map.of("every", "PT1M", "cron", "0 3 * * *"), Map.of("name", "x"), Map.of())) {
      Api.Reply r = send("PATCH", "/schedules/" + id, patch);
      assertEquals(400, r.status(), patch + ": " + r);
    }
    assertEquals("0 3 * * *", send("GET", "/schedules/" + id, null).body().get("cron").asText());
    assertFalse(send("GET", "/schedules/" + id, null).body().get("paused").asBoolean());
    assertEquals(404, send("PATCH", "/schedules/" + UUID.randomUUID(),
        Map.of("paused", true)).status());
    assertEquals(204, send("DELETE", "/schedules/" + id, null).status());
  }
}
