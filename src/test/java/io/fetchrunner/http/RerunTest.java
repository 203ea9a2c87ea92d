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
 * POST /jobs/{id}/rerun on a real service: the failed URLs (or all) fetched again as a new job
 * with the original's options, per-URL requests and credentials, linked by rerunOf in the live
 * view and the history; replays under an Idempotency-Key; refusals that store nothing.
 */
class RerunTest {
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

  /** POST {@code path} with an optional Idempotency-Key and JSON body. */
  private static Api.Reply post(String path, String key, String body) {
    return api.call("POST", path, key == null ? Map.of() : Map.of("Idempotency-Key", key), body);
  }

  private static List<String> urls(JsonNode job) {
    List<String> urls = new ArrayList<>();
    job.get("results").forEach(r -> urls.add(r.get("url").asText()));
    return urls;
  }

  private static int listedWithName(String name) {
    api.awaitReadSide(Duration.ofSeconds(30));
    return api.get("/jobs?limit=1000&name=" + name).body().get("jobs").size();
  }

  @Test
  void theFailedUrlsRunAgainWithTheOriginalsOptionsRequestsAndCredentials() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String name = "nightly-" + run;
    String ok = target.url("/delay/0?ok=" + run);
    String flaky = target.url("/echo?fail-first=1&get=" + run);
    String post = target.url("/echo?fail-first=1&post=" + run);
    String auth = target.url("/echo?fail-first=1&auth=" + run)
        .replace("http://", "http://ops:s3cret@");
    String gone = target.url("/status/404?gone=" + run);
    String id = api.submit(Map.of("name", name, "concurrency", 2, "timeoutMs", 7000,
        "retries", 0, "headers", Map.of("X-Team", "ops"),
        "urls", List.of(ok, flaky, Map.of("url", post, "method", "POST",
            "headers", Map.of("X-Own", "1"), "body", "payload"), auth, gone)));
    JsonNode first = api.awaitFinished(id, Duration.ofSeconds(30));
    assertEquals(1, first.get("succeeded").asInt());
    assertEquals(4, first.get("failed").asInt());

    Api.Reply again = post("/jobs/" + id + "/rerun", null, null);
    assertEquals(202, again.status(), again.toString());
    String rerun = again.body().get("id").asText();
    assertEquals("/jobs/" + rerun, again.location());
    assertEquals(id, again.body().get("rerunOf").asText());
    assertEquals(name, again.body().get("name").asText());
    assertEquals(4, again.body().get("total").asInt());

    JsonNode second = api.awaitFinished(rerun, Duration.ofSeconds(30));
    // The failed URLs in their order (credentials shown redacted, as everywhere).
    assertEquals(List.of(flaky, post, auth.replace("ops:s3cret@", "ops:***@"), gone),
        urls(second));
    assertEquals(3, second.get("succeeded").asInt(), "the three that failed only once");
    assertEquals(1, second.get("failed").asInt(), "the 404 fails again");
    assertEquals(1, target.hits("/delay/0?ok=" + run), "a URL that succeeded is not fetched");
    assertEquals(2, target.hits("/echo?fail-first=1&get=" + run));

    // The same options, per-URL request and credentials went out the second time.
    TargetServer.Seen posted = target.lastRequest("/echo?fail-first=1&post=" + run);
    assertEquals("POST", posted.method());
    assertEquals("payload", posted.body());
    assertEquals("1", posted.headers().get("X-Own"));
    assertEquals("ops", posted.headers().get("X-Team"));
    TargetServer.Seen authed = target.lastRequest("/echo?fail-first=1&auth=" + run);
    assertEquals("Basic b3BzOnMzY3JldA==", authed.headers().get("Authorization"));
    assertEquals("ops", target.lastRequest("/echo?fail-first=1&get=" + run).headers()
        .get("X-Team"));

    // Linked in the live view and in the history; the original is no re-run.
    assertEquals(id, api.get("/jobs/" + rerun + "?results=false").body().get("rerunOf").asText());
    api.awaitListed(rerun);
    api.awaitReadSide(Duration.ofSeconds(30));
    JsonNode listed = api.get("/jobs?limit=10&name=" + name).body().get("jobs");
    assertEquals(2, listed.size());
    for (JsonNode j : listed) {
      String expected = j.get("id").asText().equals(rerun) ? id : null;
      assertEquals(expected, j.get("rerunOf").isNull() ? null : j.get("rerunOf").asText());
    }

    // only=all: every URL of the original, in order.
    Api.Reply all = post("/jobs/" + id + "/rerun?only=all", null, null);
    assertEquals(202, all.status(), all.toString());
    JsonNode third = api.awaitFinished(all.body().get("id").asText(), Duration.ofSeconds(30));
    assertEquals(urls(first), urls(third));
    assertEquals(2, target.hits("/delay/0?ok=" + run));
  }

  @Test
  void aReplayUnderTheSameKeyIsTheSameJobAndRefusalsStoreNothing() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String name = "replay-" + run;
    String id = api.submit(Map.of("name", name, "retries", 0, "urls",
        List.of(target.url("/status/500?r=" + run), target.url("/delay/0?r=" + run))));
    api.awaitFinished(id, Duration.ofSeconds(30));

    Api.Reply first = post("/jobs/" + id + "/rerun", "rerun-" + run, null);
    assertEquals(202, first.status(), first.toString());
    Api.Reply replay = post("/jobs/" + id + "/rerun", "rerun-" + run, null);
    assertEquals(200, replay.status(), replay.toString());
    assertEquals(first.body().get("id"), replay.body().get("id"));
    Api.Reply other = post("/jobs/" + id + "/rerun?only=all", "rerun-" + run, null);
    assertEquals(422, other.status(), other.toString());
    assertEquals("Idempotency-Key", other.body().get("field").asText());
    api.awaitFinished(first.body().get("id").asText(), Duration.ofSeconds(30));
    int listed = listedWithName(name);
    assertEquals(2, listed, "the original and one re-run");

    Api.Reply badOnly = post("/jobs/" + id + "/rerun?only=some", null, null);
    assertEquals(400, badOnly.status());
    assertEquals("only", badOnly.body().get("field").asText());
    Api.Reply withBody = post("/jobs/" + id + "/rerun", null, "{\"urls\":[\"http://x/\"]}");
    assertEquals(400, withBody.status());
    assertEquals("body", withBody.body().get("field").asText());
    assertEquals(404, post("/jobs/" + UUID.randomUUID() + "/rerun", null, null).status());
    assertEquals(404, post("/jobs/not-a-job/rerun", null, null).status());

    String clean = api.submit(Map.of("name", name, "urls",
        List.of(target.url("/delay/0?clean=" + run))));
    api.awaitFinished(clean, Duration.ofSeconds(30));
    Api.Reply nothing = post("/jobs/" + clean + "/rerun", null, null);
    assertEquals(409, nothing.status(), nothing.toString());
    assertTrue(nothing.body().get("detail").asText().contains("no failed URL"),
        nothing.toString());

    String running = api.submit(Map.of("name", name, "urls",
        List.of(target.url("/delay/20000?running=" + run))));
    Api.Reply busy = post("/jobs/" + running + "/rerun", null, null);
    assertEquals(409, busy.status(), busy.toString());
    assertTrue(busy.body().get("detail").asText().contains("still running"), busy.toString());
    api.delete("/jobs/" + running);
    api.awaitFinished(running, Duration.ofSeconds(30));
    assertEquals(listed + 2, listedWithName(name), "the two submitted here, no re-run");
  }
}
