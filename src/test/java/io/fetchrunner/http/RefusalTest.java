package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.RawHttp;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Walks every endpoint with what a client can get wrong: an unknown or repeated query
 * parameter, a malformed query, a wrong method, a missing token; and with HEAD and
 * upper-case job ids, which must work. Every refusal, whoever makes it (a route, Pekko's
 * routing, the server's request parser), is application/problem+json; ProblemMappingTest covers
 * the request timeout and unexpected exceptions.
 */
class RefusalTest {
  private static final String TOKEN = "refusal-token";
  private static final long MAX_REQUEST_BYTES = 4096;

  @TempDir static Path dataDir;
  static TargetServer target;
  static FetchRunner service;
  static Api api;
  static String jobId;
  static final HttpClient client = HttpClient.newHttpClient();

  /**
   * One call of the API: its method and path, a body when it takes one, and a query parameter
   * it knows with a valid value (null when it takes none).
   */
  record Endpoint(String method, String path, String body, String param, String value) {
    String uri(String query) {
      return path.replace("{id}", jobId) + (query.isEmpty() ? "" : "?" + query);
    }

    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  static List<Endpoint> endpoints() {
    String text = target.url("/delay/0?refusal") + "\n";
    return List.of(
        new Endpoint("GET", "/health", null, null, null),
        new Endpoint("POST", "/jobs", text, "name", "walked"),
        new Endpoint("GET", "/jobs", null, "limit", "1"),
        new Endpoint("GET", "/jobs/{id}", null, "results", "false"),
        new Endpoint("DELETE", "/jobs/{id}", null, null, null),
        new Endpoint("GET", "/jobs/{id}/results", null, "format", "csv"),
        new Endpoint("POST", "/jobs/{id}/rerun", null, "only", "all"),
        new Endpoint("GET", "/jobs/{id}/compare", null, "with", "x"),
        new Endpoint("GET", "/jobs/{id}/compare/urls", null, "only", "changed"),
        new Endpoint("GET", "/schedules", null, null, null),
        new Endpoint("GET", "/schedules/{id}", null, null, null),
        new Endpoint("GET", "/stats", null, "name", "x"),
        new Endpoint("GET", "/hosts", null, null, null),
        new Endpoint("GET", "/admin/read-side", null, null, null),
        new Endpoint("POST", "/admin/read-side/rebuild", null, null, null));
  }

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = Services.start(dataDir, """
        fetchrunner.http.api-token = "%s"
        fetchrunner.http.max-request-bytes = %d
        fetchrunner.fetch.targets.allow = ["127.0.0.0/8"]
        """.formatted(TOKEN, MAX_REQUEST_BYTES));
    api = new Api(service.port(), TOKEN);
    jobId = api.submit(Map.of("urls", List.of(target.url("/delay/0?walk"))));
    api.awaitFinished(jobId, Duration.ofSeconds(30));
    api.awaitListed(jobId);
    api.awaitReadSide(Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    if (target != null) target.close();
  }

  /** A response as the JDK's client sees it: status, headers (lower-case names), body. */
  record Reply(int status, Map<String, String> headers, String body) {
    String contentType() {
      return headers.getOrDefault("content-type", "");
    }
  }

  static Reply call(String method, String pathAndQuery, String token, String body) {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
            + pathAndQuery))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "text/plain");
    if (token != null) b.header("Authorization", "Bearer " + token);
    try {
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      Map<String, String> headers = new TreeMap<>();
      r.headers().map().forEach((name, values) ->
          headers.put(name.toLowerCase(Locale.ROOT), String.join(", ", values)));
      return new Reply(r.statusCode(), headers, r.body());
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + pathAndQuery + ": " + e, e);
    }
  }

  static JsonNode assertProblem(int status, String field, int actualStatus, String contentType,
      String body, Object what) {
    assertEquals(status, actualStatus, () -> what + ": " + actualStatus + " " + body);
    assertTrue(contentType.startsWith("application/problem+json"),
        () -> what + ": Content-Type " + contentType + ", body " + body);
    JsonNode problem;
    try {
      problem = Api.MAPPER.readTree(body);
    } catch (Exception e) {
      throw new AssertionError(what + ": not JSON: " + body, e);
    }
    assertEquals(status, problem.get("status").asInt(), () -> what + ": " + body);
    assertTrue(problem.get("detail").asText().length() > 5, () -> what + ": " + body);
    if (field != null) {
      assertEquals(field, problem.path("field").asText(null), () -> what + ": " + body);
    }
    return problem;
  }

  static JsonNode assertProblem(int status, String field, Reply r, Object what) {
    return assertProblem(status, field, r.status(), r.contentType(), r.body(), what);
  }

  static JsonNode assertProblem(int status, String field, RawHttp.Reply r, Object what) {
    return assertProblem(status, field, r.status(), r.contentType(), r.body(), what);
  }

  @Test
  void everyEndpointRefusesAQueryParameterItDoesNotKnowOrThatIsGivenTwice() {
    for (Endpoint e : endpoints()) {
      JsonNode unknown = assertProblem(400, "colour",
          call(e.method(), e.uri("colour=red"), TOKEN, e.body()), e + "?colour=red");
      assertTrue(unknown.get("detail").asText().contains("\"colour\""), unknown::toString);
      if (e.param() != null) {
        String twice = e.param() + "=" + e.value() + "&" + e.param() + "=" + e.value();
        assertProblem(400, e.param(), call(e.method(), e.uri(twice), TOKEN, e.body()),
            e + "?" + twice);
      }
    }
    assertEquals("COMPLETED", api.get("/jobs/" + jobId).body().get("state").asText());
    assertEquals(0, target.hits("/delay/0?refusal"), "no refused job was submitted");
  }

  @Test
  void everyPathAnswersAMethodItDoesNotTakeWith405() {
    for (Endpoint e : endpoints()) {
      String uri = e.uri("");
      Reply r = call("PUT", uri, TOKEN, null);
      assertProblem(405, null, r, "PUT " + e.path());
      String allow = r.headers().getOrDefault("allow", "");
      assertTrue(allow.contains(e.method()), () -> e + ": Allow " + allow);
      assertEquals(allow.contains("GET"), allow.contains("HEAD"),
          () -> e + ": HEAD is allowed wherever GET is: Allow " + allow);
    }
    Reply head = call("HEAD", "/admin/read-side/rebuild", TOKEN, null);
    assertEquals(405, head.status(), "HEAD where there is no GET");
    assertTrue(head.contentType().startsWith("application/problem+json"), head::toString);
  }

  @Test
  void headAnswersWhereverGetDoesWithTheSameHeadersAndNoBody() {
    String unknown = "/jobs/" + UUID.randomUUID();
    for (String uri : List.of("/health", "/jobs?limit=1", "/jobs/" + jobId,
        "/jobs/" + jobId + "?results=false", "/jobs/" + jobId + "/results",
        "/jobs/" + jobId + "/results?format=csv", "/stats", "/admin/read-side", unknown,
        "/jobs?limit=0")) {
      Reply get = call("GET", uri, TOKEN, null);
      Reply head = call("HEAD", uri, TOKEN, null);
      assertEquals(get.status(), head.status(), () -> "HEAD " + uri + ": " + head);
      var getHeaders = new TreeMap<>(get.headers());
      var headHeaders = new TreeMap<>(head.headers());
      getHeaders.remove("date");
      headHeaders.remove("date");
      assertEquals(getHeaders, headHeaders, "HEAD " + uri);
      assertEquals("", head.body(), "HEAD " + uri);
    }
  }

  @Test
  void jobIdsInPathsAreReadInAnyCase() {
    String upper = jobId.toUpperCase(Locale.ROOT);
    Reply job = call("GET", "/jobs/" + upper, TOKEN, null);
    assertEquals(200, job.status(), job::toString);
    assertTrue(job.body().contains("\"id\":\"" + jobId + "\""), job::toString);
    assertEquals(200, call("GET", "/jobs/" + upper + "?results=false", TOKEN, null).status());
    Reply export = call("GET", "/jobs/" + upper + "/results", TOKEN, null);
    assertEquals(200, export.status(), export::toString);
    assertTrue(export.body().contains(target.url("/delay/0?walk")), export::toString);
    // Finished already: the job was found, and refuses to be cancelled.
    assertProblem(409, null, call("DELETE", "/jobs/" + upper, TOKEN, null), "DELETE " + upper);
    String mixed = jobId.substring(0, 9).toUpperCase(Locale.ROOT) + jobId.substring(9);
    assertEquals(200, call("GET", "/jobs/" + mixed, TOKEN, null).status());
  }

  @Test
  void everyCallButHealthIsRefusedWithoutTheToken() {
    for (Endpoint e : endpoints()) {
      Reply r = call(e.method(), e.uri(""), null, e.body());
      if (e.path().equals("/health")) {
        assertEquals(200, r.status(), r::toString);
      } else {
        assertProblem(401, "Authorization", r, e + " without a token");
      }
    }
  }

  @Test
  void requestsTheServerCannotReadAreProblemsToo() {
    int port = service.port();
    String auth = "Host: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN + "\r\nConnection: close\r\n";
    Duration wait = Duration.ofSeconds(30);
    assertProblem(404, null, call("GET", "/nothing-here", TOKEN, null), "unknown path");
    assertProblem(404, null, call("GET", "/jobs/" + jobId + "/nothing", TOKEN, null),
        "unknown path under a job");
    assertProblem(501, null, RawHttp.send(port, "FETCH /jobs HTTP/1.1\r\n" + auth, "", wait),
        "unknown method");
    assertProblem(414, null, RawHttp.send(port, "GET /jobs?name=" + "x".repeat(9000)
        + " HTTP/1.1\r\n" + auth, "", wait), "URI too long");
    assertProblem(431, null, RawHttp.send(port, "GET /jobs HTTP/1.1\r\n" + auth + "X-Big: "
        + "x".repeat(20_000) + "\r\n", "", wait), "header too large");
    assertProblem(400, null, RawHttp.send(port, "POST /jobs HTTP/1.1\r\n" + auth
        + "Content-Type: text/plain\r\nContent-Length: many\r\n", "", wait), "bad Content-Length");
    assertProblem(400, null, RawHttp.send(port, "GET /jobs HTTP/1.1\r\n" + auth
        + "Bad Header: x\r\n", "", wait), "malformed header");
    assertProblem(413, "body", call("POST", "/jobs", TOKEN,
        "x".repeat((int) MAX_REQUEST_BYTES + 1)), "body too large");
    var declared = RawHttp.send(port, "POST /jobs HTTP/1.1\r\n" + auth
        + "Content-Type: text/plain\r\nContent-Length: " + (MAX_REQUEST_BYTES + 1) + "\r\n",
        "x".repeat((int) MAX_REQUEST_BYTES + 1), wait);
    assertProblem(413, "body", declared, "declared body too large");
    assertProblem(415, "Content-Type", RawHttp.send(port, "POST /jobs HTTP/1.1\r\n" + auth
        + "Content-Type: application/xml\r\nContent-Length: 7\r\n", "<urls/>", wait), "XML");
    JsonNode none = assertProblem(415, "Content-Type", RawHttp.send(port, "POST /jobs HTTP/1.1\r\n"
        + auth + "Content-Length: 0\r\n", "", wait), "no Content-Type");
    assertTrue(none.get("detail").asText().contains("no Content-Type"), none::toString);
    for (Endpoint e : endpoints()) {
      assertProblem(400, null, RawHttp.send(port, e.method() + " " + e.uri("x=%zz")
          + " HTTP/1.1\r\n" + auth, "", wait), e + "?x=%zz");
    }
  }
}
