package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.EventStream;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * src/main/resources/openapi.json against the running service: the document is valid OpenAPI
 * 3.1, every answer below (success and error) matches the schema the document gives for its
 * path, method and status, every documented operation is called, and the document's paths are
 * those of the README's API table. A changed answer, an undocumented status or a new endpoint
 * fails here.
 */
class OpenApiTest {
  private static final JsonSchemaFactory SCHEMAS =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path dir;
  static TargetServer target;
  static FetchRunner service;
  static FetchRunner guarded;
  static JsonNode doc;
  /** "METHOD /path/template" of every call made. */
  static final Set<String> called = new TreeSet<>();

  @BeforeAll
  static void start() throws IOException {
    target = new TargetServer();
    service = Services.start(dir.resolve("open"), "fetchrunner.http.max-request-bytes = 64k\n");
    guarded = Services.start(dir.resolve("guarded"),
        "fetchrunner.http.api-token = \"openapi-token\"\n");
    try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.json")) {
      doc = Api.MAPPER.readTree(in);
    }
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    if (guarded != null) guarded.close();
    if (target != null) target.close();
  }

  /** One answer: status, content type and body. */
  record Answer(int status, String contentType, String body) {}

  @Test
  void theDocumentIsValidOpenApi31AndServedAsIs() throws Exception {
    JsonNode metaSchema;
    try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi/oas-3.1-schema.json")) {
      metaSchema = Api.MAPPER.readTree(in);
    }
    Set<ValidationMessage> errors = SCHEMAS.getSchema(metaSchema).validate(doc);
    assertEquals(Set.of(), errors, "openapi.json against the OpenAPI 3.1 schema");
    assertEquals("3.1.0", doc.get("openapi").asText());
    Answer served = call(service, "GET", "/openapi.json", "/openapi.json", null, null, Map.of());
    assertEquals(doc, Api.MAPPER.readTree(served.body()), "served as it is in the repository");
  }

  @Test
  void everyAnswerMatchesTheDocumentAndEveryOperationIsCalled() throws Exception {
    FetchRunner s = service;
    call(s, "GET", "/health", "/health", null, null, Map.of());
    call(s, "GET", "/health?x=1", "/health", null, null, Map.of());
    call(s, "GET", "/openapi.json", "/openapi.json", null, null, Map.of());

    // Submit: JSON, text with options, the same Idempotency-Key twice, then refusals.
    String body = Api.MAPPER.writeValueAsString(Map.of("name", "openapi", "urls", List.of(
        target.url("/delay/5?oa=1"), target.url("/status/404?oa"),
        Map.of("url", target.url("/echo"), "method", "POST", "body", "hi"))));
    Answer submitted = call(s, "POST", "/jobs", "/jobs", "application/json", body,
        Map.of("Idempotency-Key", "openapi-1"));
    assertEquals(202, submitted.status());
    String id = Api.MAPPER.readTree(submitted.body()).get("id").asText();
    assertEquals(200, call(s, "POST", "/jobs", "/jobs", "application/json", body,
        Map.of("Idempotency-Key", "openapi-1")).status());
    assertEquals(422, call(s, "POST", "/jobs", "/jobs", "application/json",
        body.replace("openapi", "other"), Map.of("Idempotency-Key", "openapi-1")).status());
    assertEquals(202, call(s, "POST", "/jobs?name=text&concurrency=2&retries=0", "/jobs",
        "text/plain", target.url("/delay/1?oa=text") + "\n", Map.of()).status());
    assertEquals(400, call(s, "POST", "/jobs", "/jobs", "application/json",
        "{\"urls\":[],\"x\":1}", Map.of()).status());
    assertEquals(400, call(s, "POST", "/jobs", "/jobs", "application/json",
        "{\"urls\":[\"ftp://127.0.0.1/x\"]}", Map.of()).status());
    assertEquals(415, call(s, "POST", "/jobs", "/jobs", "image/png", "x", Map.of()).status());
    assertEquals(413, call(s, "POST", "/jobs", "/jobs", "text/plain",
        (target.url("/delay/0?big=") + "x".repeat(60) + "\n").repeat(1000), Map.of()).status());

    new Api(s.port()).awaitFinished(id, Duration.ofSeconds(30));
    call(s, "GET", "/jobs/" + id, "/jobs/{id}", null, null, Map.of());
    call(s, "GET", "/jobs/" + id + "?results=false", "/jobs/{id}", null, null, Map.of());
    assertEquals(404, call(s, "GET", "/jobs/505aa865-294d-41a7-acae-38d6253c2f03",
        "/jobs/{id}", null, null, Map.of()).status());
    assertEquals(400, call(s, "GET", "/jobs/" + id + "?results=maybe", "/jobs/{id}", null, null,
        Map.of()).status());
    assertEquals(409, call(s, "DELETE", "/jobs/" + id, "/jobs/{id}", null, null, Map.of())
        .status());
    String slow = new Api(s.port()).submit(Map.of("urls", List.of(target.url("/delay/30000?oa"))));
    assertEquals(200, call(s, "DELETE", "/jobs/" + slow, "/jobs/{id}", null, null, Map.of())
        .status());
    assertEquals(404, call(s, "DELETE", "/jobs/505aa865-294d-41a7-acae-38d6253c2f03",
        "/jobs/{id}", null, null, Map.of()).status());

    // Re-run: the failed URL (the 404) as a new job, a replay, then refusals.
    Answer rerun = call(s, "POST", "/jobs/" + id + "/rerun", "/jobs/{id}/rerun", null, null,
        Map.of("Idempotency-Key", "openapi-rerun"));
    assertEquals(202, rerun.status(), rerun.body());
    assertEquals(id, Api.MAPPER.readTree(rerun.body()).get("rerunOf").asText());
    assertEquals(200, call(s, "POST", "/jobs/" + id + "/rerun", "/jobs/{id}/rerun", null, null,
        Map.of("Idempotency-Key", "openapi-rerun")).status());
    assertEquals(422, call(s, "POST", "/jobs/" + id + "/rerun?only=all", "/jobs/{id}/rerun",
        null, null, Map.of("Idempotency-Key", "openapi-rerun")).status());
    assertEquals(400, call(s, "POST", "/jobs/" + id + "/rerun?only=some", "/jobs/{id}/rerun",
        null, null, Map.of()).status());
    assertEquals(404, call(s, "POST", "/jobs/505aa865-294d-41a7-acae-38d6253c2f03/rerun",
        "/jobs/{id}/rerun", null, null, Map.of()).status());
    String running = new Api(s.port()).submit(Map.of("urls",
        List.of(target.url("/delay/30000?oa-rerun"))));
    assertEquals(409, call(s, "POST", "/jobs/" + running + "/rerun", "/jobs/{id}/rerun", null,
        null, Map.of()).status());

    // Compare: the re-run against its previous run of the same name (the job above).
    String rerunId = Api.MAPPER.readTree(rerun.body()).get("id").asText();
    new Api(s.port()).awaitFinished(rerunId, Duration.ofSeconds(30));
    new Api(s.port()).awaitListed(rerunId);
    new Api(s.port()).awaitReadSide(Duration.ofSeconds(30));
    Answer compared = call(s, "GET", "/jobs/" + rerunId + "/compare", "/jobs/{id}/compare", null,
        null, Map.of());
    assertEquals(id, Api.MAPPER.readTree(compared.body()).get("with").get("id").asText());
    Answer perUrl = call(s, "GET", "/jobs/" + rerunId + "/compare/urls?with=" + id,
        "/jobs/{id}/compare/urls", null, null, Map.of());
    JsonSchema comparedUrl = schemaAt("/components/schemas/ComparedUrl");
    List<String> comparedLines = perUrl.body().lines().toList();
    assertEquals(3, comparedLines.size(), perUrl.body());
    for (String l : comparedLines) assertValid(comparedUrl, Api.MAPPER.readTree(l), "a line");
    assertEquals(400, call(s, "GET", "/jobs/" + id + "/compare?with=" + id, "/jobs/{id}/compare",
        null, null, Map.of()).status());
    assertEquals(404, call(s, "GET", "/jobs/" + id + "/compare", "/jobs/{id}/compare", null, null,
        Map.of()).status());
    new Api(s.port()).awaitListed(running);
    assertEquals(409, call(s, "GET", "/jobs/" + running + "/compare/urls?with=" + id,
        "/jobs/{id}/compare/urls", null, null, Map.of()).status());
    new Api(s.port()).delete("/jobs/" + running);

    // Schedules: created from the job above (fromJob) and from URLs, read, changed, deleted.
    Answer schedule = call(s, "POST", "/schedules", "/schedules", "application/json",
        "{\"fromJob\":\"" + id + "\",\"cron\":\"0 3 * * *\",\"zone\":\"Europe/Berlin\"}",
        Map.of());
    assertEquals(201, schedule.status(), schedule.body());
    String scheduleId = Api.MAPPER.readTree(schedule.body()).get("id").asText();
    assertEquals(201, call(s, "POST", "/schedules", "/schedules", "application/json",
        "{\"urls\":[\"" + target.url("/delay/0?oa=schedule") + "\"],\"every\":\"P1D\","
            + "\"options\":{\"concurrency\":2,\"thresholds\":{\"p95LatencyMs\":100}}}",
        Map.of()).status());
    assertEquals(400, call(s, "POST", "/schedules", "/schedules", "application/json",
        "{\"fromJob\":\"" + id + "\",\"cron\":\"0 99 * * *\"}", Map.of()).status());
    assertEquals(404, call(s, "POST", "/schedules", "/schedules", "application/json",
        "{\"fromJob\":\"505aa865-294d-41a7-acae-38d6253c2f03\",\"every\":\"PT1H\"}",
        Map.of()).status());
    call(s, "GET", "/schedules", "/schedules", null, null, Map.of());
    call(s, "GET", "/schedules/" + scheduleId, "/schedules/{id}", null, null, Map.of());
    assertEquals(200, call(s, "PATCH", "/schedules/" + scheduleId, "/schedules/{id}",
        "application/json", "{\"paused\":true}", Map.of()).status());
    assertEquals(400, call(s, "PATCH", "/schedules/" + scheduleId, "/schedules/{id}",
        "application/json", "{\"paused\":1}", Map.of()).status());
    assertEquals(204, call(s, "DELETE", "/schedules/" + scheduleId, "/schedules/{id}", null,
        null, Map.of()).status());
    assertEquals(404, call(s, "GET", "/schedules/" + scheduleId, "/schedules/{id}", null, null,
        Map.of()).status());
    assertEquals(404, call(s, "PATCH", "/schedules/" + scheduleId, "/schedules/{id}",
        "application/json", "{\"paused\":false}", Map.of()).status());
    assertEquals(404, call(s, "DELETE", "/schedules/" + scheduleId, "/schedules/{id}", null,
        null, Map.of()).status());
    call(s, "GET", "/jobs?scheduleId=" + scheduleId, "/jobs", null, null, Map.of());

    // A job with thresholds: its verdict and checks, live and in the history.
    String judged = new Api(s.port()).submit(Map.of("name", "openapi-judged", "urls",
        List.of(target.url("/delay/5?oa=judged")), "thresholds",
        Map.of("p95LatencyMs", 1, "failureRate", 0.5, "speedupAtLeast", 100)));
    new Api(s.port()).awaitFinished(judged, Duration.ofSeconds(30));
    Answer verdict = call(s, "GET", "/jobs/" + judged, "/jobs/{id}", null, null, Map.of());
    assertEquals("FAILED", Api.MAPPER.readTree(verdict.body()).get("verdict").asText());
    new Api(s.port()).awaitListed(judged);
    call(s, "GET", "/jobs?verdict=FAILED&name=judged", "/jobs", null, null, Map.of());
    call(s, "GET", "/stats?verdict=PASSED", "/stats", null, null, Map.of());
    assertEquals(400, call(s, "POST", "/jobs", "/jobs", "application/json",
        "{\"urls\":[\"http://127.0.0.1/\"],\"thresholds\":{\"p95LatencyMs\":\"x\"}}",
        Map.of()).status());

    new Api(s.port()).awaitListed(id);
    call(s, "GET", "/jobs?limit=2&name=OPENAPI&state=COMPLETED", "/jobs", null, null, Map.of());
    assertEquals(400, call(s, "GET", "/jobs?state=DONE", "/jobs", null, null, Map.of()).status());
    assertEquals(400, call(s, "GET", "/jobs?limit=0", "/jobs", null, null, Map.of()).status());
    Answer export = call(s, "GET", "/jobs/" + id + "/results", "/jobs/{id}/results", null, null,
        Map.of());
    JsonSchema line = schemaAt("/components/schemas/ExportedResult");
    List<String> lines = export.body().lines().toList();
    assertEquals(3, lines.size(), export.body());
    for (String l : lines) assertValid(line, Api.MAPPER.readTree(l), "an exported line");
    Answer csv = call(s, "GET", "/jobs/" + id + "/results?format=csv", "/jobs/{id}/results", null,
        null, Map.of());
    assertTrue(csv.body().startsWith("index,url,state,"), csv.body());
    assertEquals(400, call(s, "GET", "/jobs/" + id + "/results?format=xml", "/jobs/{id}/results",
        null, null, Map.of()).status());
    assertEquals(404, call(s, "GET", "/jobs/505aa865-294d-41a7-acae-38d6253c2f03/results",
        "/jobs/{id}/results", null, null, Map.of()).status());

    call(s, "GET", "/stats?name=openapi", "/stats", null, null, Map.of());
    assertEquals(400, call(s, "GET", "/stats?since=yesterday", "/stats", null, null, Map.of())
        .status());
    call(s, "GET", "/admin/read-side", "/admin/read-side", null, null, Map.of());
    assertEquals(202, call(s, "POST", "/admin/read-side/rebuild", "/admin/read-side/rebuild",
        null, null, Map.of()).status());
    call(s, "GET", "/cluster", "/cluster", null, null, Map.of());
    // A host that answered 429 is held back: GET /hosts lists it, against the schema.
    Api plain = new Api(s.port());
    plain.awaitFinished(plain.submit(Map.of("urls", List.of(target.url("/status/429?hosts")),
        "retries", 0)), Duration.ofSeconds(30));
    Answer hosts = call(s, "GET", "/hosts", "/hosts", null, null, Map.of());
    assertTrue(hosts.body().contains("HTTP 429"), hosts.body());
    Answer metrics = call(s, "GET", "/metrics", "/metrics", null, null, Map.of());
    assertTrue(metrics.body().contains("fetchrunner_urls_fetched_total"), "Prometheus text");
    Answer page = call(s, "GET", "/", "/", null, null, Map.of());
    assertTrue(page.body().contains("<html"), "the dashboard's page");

    // The event streams: each event's data against its schema.
    JsonSchema progress = schemaAt("/components/schemas/JobProgress");
    JsonSchema result = schemaAt("/components/schemas/ResultEvent");
    try (EventStream stream = EventStream.open(s.port(), "/jobs/" + id + "/events", null)) {
      assertEquals(200, stream.status());
      assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());
      List<EventStream.Event> all = stream.rest(Duration.ofSeconds(30));
      assertEquals(List.of("progress", "result", "result", "result", "done"),
          all.stream().map(EventStream.Event::type).toList());
      for (EventStream.Event e : all) {
        assertValid(e.type().equals("result") ? result : progress, e.data(), e.type());
      }
    }
    called.add("GET /jobs/{id}/events");
    assertEquals(404, call(s, "GET", "/jobs/505aa865-294d-41a7-acae-38d6253c2f03/events",
        "/jobs/{id}/events", null, null, Map.of()).status());
    try (EventStream every = EventStream.open(s.port(), "/events", null)) {
      assertEquals(200, every.status());
      assertTrue(every.contentType().startsWith("text/event-stream"), every.contentType());
      String other = new Api(s.port()).submit(Map.of("urls", List.of(target.url("/delay/1?ev"))));
      EventStream.Event e = every.next(Duration.ofSeconds(30));
      assertValid(progress, e.data(), "GET /events " + e.type() + " of " + other);
    }
    called.add("GET /events");

    // The token rule, on a service that has a token: 401 without it.
    for (String[] op : new String[][] {{"GET", "/jobs", "/jobs"}, {"GET", "/stats", "/stats"},
        {"GET", "/metrics", "/metrics"}, {"GET", "/cluster", "/cluster"}}) {
      assertEquals(401, call(guarded, op[0], op[1], op[2], null, null, Map.of()).status());
    }
    assertEquals(200, call(guarded, "GET", "/health", "/health", null, null, Map.of()).status());

    Set<String> documented = new TreeSet<>();
    doc.get("paths").fields().forEachRemaining(p -> p.getValue().fieldNames()
        .forEachRemaining(m -> documented.add(m.toUpperCase() + " " + p.getKey())));
    assertEquals(documented, called, "every documented operation is called here, and only those");
  }

  @Test
  void theDocumentsPathsAreTheReadmesApi() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    String api = readme.substring(readme.indexOf("\n## API\n"),
        readme.indexOf("\n## ", readme.indexOf("\n## API\n") + 5));
    Set<String> listed = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^\\| `(GET|POST|PATCH|DELETE) ([^`?]+)").matcher(api);
    while (m.find()) listed.add(m.group(1) + " " + m.group(2).strip());
    Set<String> documented = new TreeSet<>();
    doc.get("paths").fields().forEachRemaining(p -> p.getValue().fieldNames()
        .forEachRemaining(op -> documented.add(op.toUpperCase() + " " + p.getKey())));
    assertEquals(listed, documented, "the README's API table and openapi.json list the same calls");
  }

  // ---- calling and checking ----

  /**
   * Calls {@code method path} and checks the answer against the document's response for
   * {@code template}, method and status: the status is documented, and a JSON body matches
   * its schema.
   */
  private static Answer call(FetchRunner s, String method, String path, String template,
      String contentType, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) b.header("Content-Type", contentType);
    headers.forEach(b::header);
    HttpResponse<String> r;
    for (int attempt = 1; ; attempt++) {
      try {
        r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        break;
      } catch (IOException e) {
        // A body over the limit: the service answers 413 unread and closes; the JDK's client,
        // still sending, may see the reset first (Api.postOversized). Tried up to 3 times.
        if (attempt == 3) throw e;
      }
    }
    String type = r.headers().firstValue("Content-Type").orElse("");
    Answer answer = new Answer(r.statusCode(), type, r.body());
    called.add(method + " " + template);
    String where = method + " " + path + " -> " + r.statusCode();
    JsonNode operation = doc.path("paths").path(template).path(method.toLowerCase());
    assertTrue(operation.isObject(), "documented: " + method + " " + template);
    JsonNode response = resolve(operation.path("responses").path(String.valueOf(r.statusCode())));
    assertTrue(response.isObject(), "status documented: " + where + " " + r.body());
    String media = type.contains(";") ? type.substring(0, type.indexOf(';')).strip() : type;
    JsonNode content = response.path("content");
    if (r.body().isEmpty() && !response.has("content")) return answer; // 204: no body, none said
    assertTrue(content.has(media), where + ": content type " + media + " is documented ("
        + content + ")");
    if (media.equals("application/json") || media.equals("application/problem+json")) {
      JsonNode schema = content.get(media).get("schema");
      assertValid(schema(schema), Api.MAPPER.readTree(r.body()), where);
    }
    return answer;
  }

  /** A {@code $ref} to components/responses, followed. */
  private static JsonNode resolve(JsonNode node) {
    JsonNode ref = node.get("$ref");
    return ref == null ? node : doc.at(ref.asText().substring(1));
  }

  private static JsonSchema schemaAt(String pointer) {
    return schema(doc.at(pointer));
  }

  /** A schema of the document, standalone: the components' schemas go along as $defs. */
  private static JsonSchema schema(JsonNode schema) {
    String defs = doc.get("components").get("schemas").toString()
        .replace("#/components/schemas/", "#/$defs/");
    try {
      ObjectNode standalone = (ObjectNode) Api.MAPPER.readTree(schema.toString()
          .replace("#/components/schemas/", "#/$defs/"));
      standalone.set("$defs", Api.MAPPER.readTree(defs));
      return SCHEMAS.getSchema(standalone);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void assertValid(JsonSchema schema, JsonNode value, String what) {
    Set<ValidationMessage> errors = schema.validate(value);
    List<String> messages = new ArrayList<>();
    for (Iterator<ValidationMessage> it = errors.iterator(); it.hasNext(); ) {
      messages.add(it.next().getMessage());
    }
    assertEquals(List.of(), messages, what + ": " + value);
  }
}
