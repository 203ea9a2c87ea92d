package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conditional runs against a target that honours ETags: a run with "conditional": true asks
 * with what the previous run of its name (or of its schedule) got, records a 304 as a success
 * with notModified, and the comparison shows what changed and what did not.
 */
class ConditionalTest {
  @TempDir static Path dir;
  static TargetServer target;
  static FetchRunner service;
  static Api api;

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = Services.start(dir, "");
    api = new Api(service.port());
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    if (target != null) target.close();
  }

  private static JsonNode result(JsonNode job, String url) {
    for (JsonNode r : job.get("results")) if (r.get("url").asText().equals(url)) return r;
    throw new AssertionError(url + " not in " + job);
  }

  @Test
  void aConditionalRunAsksWithThePreviousRunsValidatorsAndA304IsASuccess() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String same = target.url("/versioned/same-" + tag);
    String changed = target.url("/versioned/changed-" + tag);
    String plain = target.url("/delay/0?plain=" + tag);
    Map<String, Object> job = Map.of("name", "cond-" + tag, "sha256", true,
        "urls", List.of(same, changed, plain));
    JsonNode first = api.awaitFinished(api.submit(job), Duration.ofSeconds(30));
    assertEquals("\"same-" + tag + "-1\"", result(first, same).get("etag").asText());
    assertEquals("Thu, 01 Jan 2026 00:00:00 GMT", result(first, same).get("lastModified").asText());
    assertTrue(result(first, plain).get("etag").isNull());
    api.awaitListed(first.get("id").asText());
    api.awaitReadSide(Duration.ofSeconds(30));

    target.bump("changed-" + tag);
    int before = target.notModifiedAnswers();
    Map<String, Object> conditional = new java.util.HashMap<>(job);
    conditional.put("conditional", true);
    String secondId = api.submit(conditional);
    JsonNode second = api.awaitFinished(secondId, Duration.ofSeconds(30));
    assertEquals(3, second.get("succeeded").asInt(), second.toString());
    JsonNode unchanged = result(second, same);
    assertEquals(304, unchanged.get("httpStatus").asInt());
    assertEquals("SUCCEEDED", unchanged.get("state").asText());
    assertTrue(unchanged.get("notModified").asBoolean());
    assertEquals(0, unchanged.get("bytes").asLong());
    JsonNode renewed = result(second, changed);
    assertEquals(200, renewed.get("httpStatus").asInt());
    assertEquals("\"changed-" + tag + "-2\"", renewed.get("etag").asText());
    assertTrue(renewed.get("notModified").isNull());
    assertEquals(1, target.notModifiedAnswers() - before, "one 304: the unchanged resource");

    api.awaitListed(secondId);
    api.awaitReadSide(Duration.ofSeconds(30));
    JsonNode compared = api.get("/jobs/" + secondId + "/compare").body();
    assertEquals(2, compared.get("urls").get("same").asInt(), compared.toString());
    assertEquals(1, compared.get("urls").get("content-changed").asInt(), compared.toString());
    var export = api.getText("/jobs/" + secondId + "/results");
    assertTrue(export.body().contains("\"notModified\":true"), export.body());
    String csv = api.getText("/jobs/" + secondId + "/results?format=csv").body();
    assertTrue(csv.lines().anyMatch(l -> l.startsWith("0,") && l.endsWith(",true")), csv);

    Api.Reply bad = api.postJson(Map.of("urls", List.of(same), "conditional", "yes"));
    assertEquals(400, bad.status());
    assertEquals("conditional", bad.body().get("field").asText());
  }

  @Test
  void aConditionalScheduleAsksWithItsOwnPreviousRun() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String url = target.url("/versioned/sched-" + tag);
    Api.Reply created = api.call("POST", "/schedules", Map.of(), Map.of(
        "name", "cond-schedule-" + tag, "urls", List.of(url), "every", "PT2S",
        "options", Map.of("conditional", true)));
    assertEquals(201, created.status(), created.toString());
    String schedule = created.body().get("id").asText();
    List<JsonNode> runs = new ArrayList<>();
    for (int i = 0; i < 300 && runs.size() < 2; i++) {
      api.awaitReadSide(Duration.ofSeconds(30));
      runs.clear();
      api.get("/jobs?limit=10&state=COMPLETED&scheduleId=" + schedule).body().get("jobs")
          .forEach(runs::add);
      Api.sleep(200);
    }
    assertTrue(runs.size() >= 2, "two finished runs: " + runs);
    // Newest first: the later run asked with the earlier one's ETag and got a 304.
    JsonNode later = api.get("/jobs/" + runs.get(0).get("id").asText()).body();
    JsonNode earlier = api.get("/jobs/" + runs.get(runs.size() - 1).get("id").asText()).body();
    assertTrue(earlier.get("results").get(0).get("notModified").isNull(),
        "the first run had nothing to ask with: " + earlier);
    assertTrue(later.get("results").get(0).get("notModified").asBoolean(), later.toString());
    assertEquals(204, api.call("DELETE", "/schedules/" + schedule, Map.of(), null).status());
  }
}
