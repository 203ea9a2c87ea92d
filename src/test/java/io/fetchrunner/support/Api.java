package io.fetchrunner.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small client of the fetchrunner API for tests (the service's own client is Pekko HTTP). */
public final class Api {
  public static final ObjectMapper MAPPER = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String token;

  public Api(int port) {
    this(port, null);
  }

  /** A client that sends {@code Authorization: Bearer <token>} with every call. */
  public Api(int port, String token) {
    this.base = "http://127.0.0.1:" + port;
    this.token = token;
  }

  /** A response: status, Content-Type, the Location header, and the body as JSON. */
  public record Reply(int status, String contentType, String location, JsonNode body) {}

  public Reply get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  public Reply delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
  }

  public Reply post(String path, String contentType, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /**
   * A POST whose body is over the service's limit: the service answers 413 without reading the
   * body and closes the connection, and a client still sending may see the connection reset
   * before it reads the 413 (the JDK's client sends the whole body first). Tried up to 3 times.
   */
  public Reply postOversized(String path, String contentType, String body) {
    for (int attempt = 1; ; attempt++) {
      try {
        return post(path, contentType, body);
      } catch (IllegalStateException e) {
        if (attempt == 3 || !(e.getCause() instanceof IOException)) throw e;
      }
    }
  }

  /**
   * {@code method path} with {@code headers} and, unless null, {@code body} as JSON (a String
   * is sent as it is): the calls the helpers above do not cover (PATCH, Idempotency-Key).
   */
  public Reply call(String method, String path, Map<String, String> headers, Object body) {
    try {
      var b = HttpRequest.newBuilder(URI.create(base + path)).method(method,
          body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body instanceof String text ? text
                  : MAPPER.writeValueAsString(body)));
      if (body != null) b.header("Content-Type", "application/json");
      headers.forEach(b::header);
      return send(b);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public Reply postJson(Object body) {
    try {
      return post("/jobs", "application/json", MAPPER.writeValueAsString(body));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Submits a job and returns its id, failing the test unless the answer is 202. */
  public String submit(Object body) {
    Reply r = postJson(body);
    assertEquals(202, r.status(), () -> "submit answered " + r);
    return r.body().get("id").asText();
  }

  /**
   * The job's own summary: GET /jobs/{id} without its results. That call is always answered
   * by the job itself, while {@code ?results=false} of a finished job comes from the read side.
   */
  public JsonNode ownSummary(String id) {
    Reply r = get("/jobs/" + id);
    if (r.status() != 200) fail("GET /jobs/" + id + ": " + r);
    var summary = (com.fasterxml.jackson.databind.node.ObjectNode) r.body().deepCopy();
    summary.remove("results");
    return summary;
  }

  /**
   * Polls the job's summary until it is no longer RUNNING, then returns the full job
   * (with results).
   */
  public JsonNode awaitFinished(String id, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Reply r = get("/jobs/" + id + "?results=false");
      if (r.status() == 200 && !r.body().get("state").asText().equals("RUNNING")) {
        return get("/jobs/" + id).body();
      }
      sleep(100);
    }
    fail("job " + id + " did not finish within " + within + ": " + get("/jobs/" + id).body());
    return null;
  }

  /** A response whose body is kept as text (exports). */
  public record TextReply(int status, String contentType, String body) {}

  public TextReply getText(String path) {
    try {
      HttpResponse<String> r = client.send(authorized(HttpRequest.newBuilder(
                  URI.create(base + path)))
              .timeout(Duration.ofSeconds(120)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return new TextReply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
          r.body());
    } catch (IOException e) {
      throw new IllegalStateException("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until the read side has applied every job event in the journal, so that GET /jobs,
   * /stats and the exports reflect everything GET /jobs/{id} has shown so far.
   */
  public void awaitReadSide(Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Reply r = get("/admin/read-side");
      if (r.status() == 200 && r.body().get("behind").asLong() == 0) return;
      sleep(50);
    }
    fail("the read side did not catch up within " + within + ": " + get("/admin/read-side"));
  }

  /**
   * Waits until GET /jobs (the read side, eventually consistent) lists the job; returns how
   * many jobs it lists then.
   */
  public int awaitListed(String id) {
    for (int i = 0; i < 300; i++) {
      JsonNode jobs = get("/jobs?limit=1000").body().get("jobs");
      for (JsonNode j : jobs) {
        if (j.get("id").asText().equals(id)) return jobs.size();
      }
      sleep(50);
    }
    throw new AssertionError("job " + id + " never appeared in GET /jobs");
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder builder) {
    return token == null ? builder : builder.header("Authorization", "Bearer " + token);
  }

  private Reply send(HttpRequest.Builder builder) {
    try {
      HttpResponse<String> r = client.send(authorized(builder)
              .timeout(Duration.ofSeconds(60)).build(),
          HttpResponse.BodyHandlers.ofString());
      JsonNode body = r.body().isEmpty() ? null : MAPPER.readTree(r.body());
      return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
          r.headers().firstValue("Location").orElse(null), body);
    } catch (IOException e) {
      throw new IllegalStateException("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
