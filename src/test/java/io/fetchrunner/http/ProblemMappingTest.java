package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.Settings;
import io.fetchrunner.support.Api;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.AskTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The one mapping from failures to problems, around routes that fail on purpose: the ones
 * the real API cannot be made to show on demand (a call that outlives the request timeout,
 * an exception nobody expected).
 */
class ProblemMappingTest extends AllDirectives {
  static ActorSystem<Void> system;
  static ServerBinding binding;
  static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "failures", ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.loglevel = ERROR
        pekko.http.server.request-timeout = 1 s
        """).withFallback(ConfigFactory.load()));
    var settings = new Settings.Http("127.0.0.1", 0, 4096, Duration.ofSeconds(5), 50, 1000, "");
    Route failing = new ProblemMappingTest().failing();
    binding = Http.get(system).newServerAt("127.0.0.1", 0)
        .bind(new ProblemMapping(settings).handle(() -> failing))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private Route failing() {
    return concat(
        path("slow", () -> get(() -> completeWithFuture(CompletableFuture.supplyAsync(
            () -> org.apache.pekko.http.javadsl.model.HttpResponse.create(),
            CompletableFuture.delayedExecutor(3, TimeUnit.SECONDS))))),
        path("throws", () -> get(() -> {
          throw new IllegalStateException("a bug");
        })),
        path("fails-later", () -> get(() -> completeWithFuture(
            CompletableFuture.failedFuture(new IllegalStateException("a later bug"))))),
        path("ask-timeout", () -> get(() -> completeWithFuture(
            CompletableFuture.failedFuture(new AskTimeoutException("no answer"))))),
        path("refused", () -> get(() -> {
          throw Problem.badRequest("colour", "\"colour\" must be red");
        })));
  }

  private static JsonNode problem(String path, int status) throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + binding.localAddress().getPort() + path))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(status, r.statusCode(), () -> path + ": " + r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("")
        .startsWith("application/problem+json"), () -> path + ": " + r.headers().map());
    JsonNode body = Api.MAPPER.readTree(r.body());
    assertEquals(status, body.get("status").asInt(), body::toString);
    return body;
  }

  @Test
  void aCallThatOutlivesTheRequestTimeoutIs503() throws Exception {
    JsonNode body = problem("/slow", 503);
    assertTrue(body.get("detail").asText().contains("GET /slow"), body::toString);
  }

  @Test
  void anUnexpectedExceptionIs500NamingIt() throws Exception {
    assertTrue(problem("/throws", 500).get("detail").asText().contains("a bug"));
    assertTrue(problem("/fails-later", 500).get("detail").asText().contains("a later bug"));
  }

  @Test
  void aProblemIsAnsweredAsItIsAndAnAskTimeoutIs503() throws Exception {
    assertEquals("colour", problem("/refused", 400).get("field").asText());
    problem("/ask-timeout", 503);
  }
}
