package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Await;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job's webhook: signed, retried, recorded on the job, and delivered after a restart. */
class WebhookTest {
  private static final String SECRET = "webhook-secret-for-tests";
  private static final String CONFIG = "fetchrunner.notify.secret = \"" + SECRET + "\"\n"
      + "fetchrunner.notify.retry-backoff-min = 100ms\n"
      + "fetchrunner.notify.retry-backoff-max = 400ms\n";

  private static JsonNode awaitNotifications(Api api, String id, int count) {
    return Await.value(Duration.ofSeconds(30), count + " notifications settled", () -> {
      JsonNode n = api.get("/jobs/" + id).body().get("notifications");
      if (n == null || n.size() != count) return null;
      for (JsonNode each : n) {
        if (each.get("state").asText().equals("PENDING")) return null;
      }
      return n;
    });
  }

  @Test
  void eventsAreSignedDeliveredAndRecordedOnTheJob(@TempDir Path dir) throws Exception {
    try (TargetServer target = new TargetServer();
        FetchRunner service = Services.start(dir, CONFIG)) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("name", "hooked", "retries", 0,
          "urls", List.of(target.url("/delay/0?a"), target.url("/status/500"),
              target.url("/delay/0?b")),
          "notify", Map.of("url", target.url("/echo/hook"),
              "events", List.of("done", "failed-url"))));
      JsonNode notifications = awaitNotifications(api, id, 2);
      assertEquals("failed-url", notifications.get(0).get("event").asText());
      assertEquals(1, notifications.get(0).get("index").asInt());
      assertEquals("done", notifications.get(1).get("event").asText());
      for (JsonNode n : notifications) {
        assertEquals("DELIVERED", n.get("state").asText(), n::toString);
        assertEquals(1, n.get("attempts").asInt());
        assertEquals(200, n.get("lastStatus").asInt());
      }
      assertEquals(2, target.hits("/echo/hook"));
      // The last one, done: signed over the timestamp and the body.
      TargetServer.Seen seen = target.lastRequest("/echo/hook");
      assertEquals("POST", seen.method());
      assertEquals("application/json", seen.headers().get("Content-Type"));
      assertEquals("done", seen.headers().get("X-Fetchrunner-Event"));
      assertEquals(id + "/1", seen.headers().get("X-Fetchrunner-Delivery"));
      String timestamp = seen.headers().get("X-Fetchrunner-Timestamp");
      assertTrue(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) < 300);
      assertEquals("sha256=" + Webhooks.sign(SECRET, timestamp, seen.body()),
          seen.headers().get("X-Fetchrunner-Signature"));
      assertTrue(!seen.headers().get("X-Fetchrunner-Signature")
          .equals("sha256=" + Webhooks.sign("another secret", timestamp, seen.body())));
      JsonNode body = Api.MAPPER.readTree(seen.body());
      assertEquals("done", body.get("event").asText());
      assertEquals(id, body.get("job").get("id").asText());
      assertEquals("COMPLETED", body.get("job").get("state").asText());
      assertEquals(1, body.get("job").get("failed").asInt());
    }
  }

  @Test
  void aFailingReceiverIsRetriedThenGivenUp(@TempDir Path dir) {
    try (TargetServer target = new TargetServer();
        FetchRunner service = Services.start(dir, CONFIG
            + "fetchrunner.notify.retry-for = 2s\n")) {
      Api api = new Api(service.port());
      // Fails twice with 503, then answers 200.
      String retried = api.submit(Map.of("urls", List.of(target.url("/delay/0?r")),
          "notify", Map.of("url", target.url("/flaky/2/503"))));
      JsonNode n = awaitNotifications(api, retried, 1).get(0);
      assertEquals("DELIVERED", n.get("state").asText(), n::toString);
      assertEquals(3, n.get("attempts").asInt());
      assertEquals(200, n.get("lastStatus").asInt());
      // Always 500: given up after retry-for.
      String abandoned = api.submit(Map.of("urls", List.of(target.url("/delay/0?g")),
          "notify", Map.of("url", target.url("/status/500?hook"))));
      JsonNode gone = awaitNotifications(api, abandoned, 1).get(0);
      assertEquals("ABANDONED", gone.get("state").asText(), gone::toString);
      assertTrue(gone.get("attempts").asInt() >= 2, gone::toString);
      assertEquals(500, gone.get("lastStatus").asInt());
      assertEquals(gone.get("attempts").asInt(), target.hits("/status/500?hook"));
    }
  }

  @Test
  void aPendingEventIsDeliveredAfterARestart(@TempDir Path dir) {
    TargetServer first = new TargetServer();
    int port = first.port();
    first.close(); // nothing listens there while the job ends
    String id;
    try (TargetServer fetched = new TargetServer();
        FetchRunner service = Services.start(dir, CONFIG)) {
      Api api = new Api(service.port());
      id = api.submit(Map.of("urls", List.of(fetched.url("/delay/0")),
          "notify", Map.of("url", "http://127.0.0.1:" + port + "/echo/late")));
      api.awaitFinished(id, Duration.ofSeconds(30));
      String job = id;
      JsonNode n = Await.value(Duration.ofSeconds(10), "a first delivery attempt", () -> {
        JsonNode all = api.get("/jobs/" + job).body().get("notifications");
        return all != null && all.get(0).get("attempts").asInt() >= 1 ? all.get(0) : null;
      });
      assertEquals("PENDING", n.get("state").asText(), n::toString);
      assertTrue(n.get("lastError").asText().length() > 0, n::toString);
    }
    try (TargetServer receiver = new TargetServer(port, true);
        FetchRunner service = Services.start(dir, CONFIG)) {
      Api api = new Api(service.port());
      JsonNode n = awaitNotifications(api, id, 1).get(0);
      assertEquals("DELIVERED", n.get("state").asText(), n::toString);
      assertEquals(1, receiver.hits("/echo/late"));
    }
  }

  @Test
  void webhooksAreRefusedWithoutASecretOrToADeniedTarget(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "")) {
      var r = new Api(service.port()).postJson(Map.of("urls", List.of("http://127.0.0.1:1/"),
          "notify", Map.of("url", "http://127.0.0.1:1/hook")));
      assertEquals(400, r.status(), r::toString);
      assertEquals("notify", r.body().get("field").asText());
      assertTrue(r.body().get("detail").asText().contains("FETCHRUNNER_NOTIFY_SECRET"));
    }
    try (FetchRunner service = Services.start(dir, CONFIG
        + "fetchrunner.fetch.targets.allow = [\"127.0.0.0/8\"]\n")) {
      Api api = new Api(service.port());
      var denied = api.postJson(Map.of("urls", List.of("http://127.0.0.1:1/"),
          "notify", Map.of("url", "http://10.1.2.3/hook")));
      assertEquals(400, denied.status(), denied::toString);
      assertEquals("notify.url", denied.body().get("field").asText());
      var events = api.postJson(Map.of("urls", List.of("http://127.0.0.1:1/"),
          "notify", Map.of("url", "http://127.0.0.1:1/hook", "events", List.of("sometimes"))));
      assertEquals(400, events.status());
      assertEquals("notify.events", events.body().get("field").asText());
      var unknown = api.postJson(Map.of("urls", List.of("http://127.0.0.1:1/"),
          "notify", Map.of("url", "http://127.0.0.1:1/hook", "secret", "x")));
      assertEquals("notify.secret", unknown.body().get("field").asText());
    }
  }
}
