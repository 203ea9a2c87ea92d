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
 * GET /jobs/{id}/compare and /compare/urls on a real service: two runs of the same name
 * against a target whose answers change between them; every change of every URL, the figures
 * and hosts side by side, the previous run found by name; refusals naming the field.
 */
class CompareTest {
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

  private static String run(String name, List<String> urls) {
    String id = api.submit(Map.of("name", name, "retries", 0, "sha256", true, "urls", urls));
    api.awaitFinished(id, Duration.ofSeconds(30));
    return id;
  }

  @Test
  void twoRunsOfTheSameNameShowEveryChangeOfEveryUrl() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String name = "compare-" + tag;
    String same = target.url("/delay/0?same=" + tag);
    String up = target.url("/flaky/1/503?up=" + tag);
    String down = target.url("/echo?fail-after=1&down=" + tag);
    String content = target.url("/echo?vary&content=" + tag);
    String gone = target.url("/delay/0?gone=" + tag);
    String added = target.url("/delay/0?added=" + tag);
    String first = run(name, List.of(same, up, down, content, gone));
    String second = run(name, List.of(same, up, down, content, added));
    api.awaitListed(second);
    api.awaitReadSide(Duration.ofSeconds(30));

    Api.Reply r = api.get("/jobs/" + second + "/compare");
    assertEquals(200, r.status(), r.toString());
    JsonNode c = r.body();
    assertEquals(second, c.get("job").get("id").asText());
    assertEquals(first, c.get("with").get("id").asText(), "the previous run of the same name");
    JsonNode urls = c.get("urls");
    assertEquals(1, urls.get("same").asInt());
    assertEquals(1, urls.get("newly-succeeding").asInt());
    assertEquals(1, urls.get("newly-failing").asInt());
    assertEquals(1, urls.get("content-changed").asInt());
    assertEquals(1, urls.get("only-in-job").asInt());
    assertEquals(1, urls.get("only-in-with").asInt());
    assertEquals(0, urls.get("status-changed").asInt());
    JsonNode failed = c.get("figures").get("failed");
    assertEquals(1, failed.get("job").asInt());
    assertEquals(1, failed.get("with").asInt());
    assertEquals(0, failed.get("delta").asInt());
    JsonNode wall = c.get("figures").get("wallMs");
    assertEquals(wall.get("job").asLong() - wall.get("with").asLong(), wall.get("delta").asLong());
    JsonNode hosts = c.get("hosts");
    assertEquals(1, hosts.size());
    assertEquals("127.0.0.1:" + target.port(), hosts.get(0).get("host").asText());
    assertEquals(5, hosts.get(0).get("urls").get("job").asInt());

    // The same with ?with= given; and per URL, only what changed, in the job's order.
    assertEquals(c, api.get("/jobs/" + second + "/compare?with=" + first).body());
    var text = api.getText("/jobs/" + second + "/compare/urls?only=changed");
    assertEquals(200, text.status());
    assertTrue(text.contentType().startsWith("application/x-ndjson"), text.contentType());
    List<String> changes = new ArrayList<>();
    List<String> lineUrls = new ArrayList<>();
    for (String line : text.body().lines().toList()) {
      JsonNode u = parse(line);
      changes.add(u.get("change").asText());
      lineUrls.add(u.get("url").asText());
    }
    assertEquals(List.of("newly-succeeding", "newly-failing", "content-changed", "only-in-job",
        "only-in-with"), changes);
    assertEquals(List.of(up, down, content, added, gone), lineUrls);
    JsonNode all = parse(api.getText("/jobs/" + second + "/compare/urls").body()
        .lines().findFirst().orElseThrow());
    assertEquals("same", all.get("change").asText());
    assertEquals(200, all.get("job").get("httpStatus").asInt());
    assertEquals(all.get("job").get("latencyMs").asLong() - all.get("with").get("latencyMs")
        .asLong(), all.get("latencyDeltaMs").asLong());
  }

  private static JsonNode parse(String line) {
    try {
      return Api.MAPPER.readTree(line);
    } catch (Exception e) {
      throw new AssertionError(line, e);
    }
  }

  @Test
  void refusalsNameTheFieldThatCannotBeCompared() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String only = run("lonely-" + tag, List.of(target.url("/delay/0?lonely=" + tag)));
    api.awaitListed(only);
    api.awaitReadSide(Duration.ofSeconds(30));
    Api.Reply none = api.get("/jobs/" + only + "/compare");
    assertEquals(404, none.status(), none.toString());
    assertEquals("with", none.body().get("field").asText());
    assertEquals("with", api.get("/jobs/" + only + "/compare?with=" + only).body()
        .get("field").asText());
    assertEquals(400, api.get("/jobs/" + only + "/compare?with=yesterday").status());
    Api.Reply unknownWith = api.get("/jobs/" + only + "/compare?with=" + UUID.randomUUID());
    assertEquals(404, unknownWith.status());
    assertEquals("with", unknownWith.body().get("field").asText());
    assertEquals(404, api.get("/jobs/" + UUID.randomUUID() + "/compare").status());
    assertEquals("only", api.get("/jobs/" + only + "/compare/urls?only=some").body()
        .get("field").asText());
    String running = api.submit(Map.of("name", "lonely-" + tag, "urls",
        List.of(target.url("/delay/20000?running=" + tag))));
    api.awaitListed(running);
    assertEquals(409, api.get("/jobs/" + running + "/compare?with=" + only).status());
    assertEquals(409, api.get("/jobs/" + only + "/compare?with=" + running).status());
    api.delete("/jobs/" + running);
  }
}
