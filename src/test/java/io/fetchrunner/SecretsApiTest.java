package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials given in URLs ({@code user:password@host}) are sent as Basic authorization, and
 * no secret (those passwords, secret request headers) comes back in any answer: the job, the
 * list, the exports, the statistics, refusals. Every secret of these tests contains
 * {@link #SECRET}, so one search of each answer finds any of them.
 */
class SecretsApiTest {
  private static final String SECRET = "Sesame";

  @TempDir static Path dataDir;
  static TargetServer target;
  static FetchRunner service;
  static Api api;

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = Services.start(dataDir, "");
    api = new Api(service.port());
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    if (target != null) target.close();
  }

  private static String basic(String userAndPassword) {
    return "Basic " + Base64.getEncoder().encodeToString(
        userAndPassword.getBytes(StandardCharsets.UTF_8));
  }

  /** The target's URL for {@code pathAndQuery}, with {@code userInfo@} before the host. */
  private static String withUserInfo(String userInfo, String pathAndQuery) {
    return target.url(pathAndQuery).replace("://", "://" + userInfo + "@");
  }

  private static void assertNoSecret(String what, String text) {
    assertFalse(text.contains(SECRET), () -> what + " shows a secret: " + text);
  }

  @Test
  void credentialsInUrlsAreSentAsBasicAuthorizationAndNeverShown() {
    String tag = UUID.randomUUID().toString();
    String decoded = "/echo?decoded=" + tag;
    String explicit = "/echo?explicit=" + tag;
    String userOnly = "/echo?user-only=" + tag;
    String redirected = "/redirect-with-credentials/http/status/200?" + tag;
    String nonHttp = "/redirect-with-credentials/ftp/file?" + tag;
    String id = api.submit(Map.of(
        "name", "secrets " + tag,
        "urls", List.of(
            // percent-encoded in the URL, sent decoded: al@ice / Sesame/open:1
            withUserInfo("al%40ice:Sesame%2Fopen%3A1", decoded),
            Map.of("url", withUserInfo("bob:Sesame-bob", explicit),
                "headers", Map.of("Authorization", "Bearer Sesame-explicit")),
            withUserInfo("Sesame-token", userOnly),
            withUserInfo("carol:Sesame-carol", redirected),
            withUserInfo("dave:Sesame-dave", nonHttp)),
        "headers", Map.of("X-Api-Key", "Sesame-key", "Cookie", "session=Sesame-cookie")));
    JsonNode job = api.awaitFinished(id, Duration.ofSeconds(30));

    var seen = target.lastRequest(decoded);
    assertEquals(basic("al@ice:Sesame/open:1"), seen.headers().get("Authorization"));
    assertEquals("Sesame-key", seen.headers().get("X-Api-Key"));
    assertEquals("Bearer Sesame-explicit",
        target.lastRequest(explicit).headers().get("Authorization"),
        "a URL's own Authorization header wins over its user and password");
    assertEquals(basic("Sesame-token:"),
        target.lastRequest(userOnly).headers().get("Authorization"),
        "a user without a password is sent with an empty password, as curl does");

    JsonNode results = job.get("results");
    assertEquals(withUserInfo("al%40ice:***", decoded), results.get(0).get("url").asText());
    assertEquals(withUserInfo("bob:***", explicit), results.get(1).get("url").asText());
    assertEquals(withUserInfo("***", userOnly), results.get(2).get("url").asText(),
        "a user without a password may be a token: hidden whole");
    assertEquals("SUCCEEDED", results.get(3).get("state").asText(), results.toString());
    assertEquals("http://hopper:***@127.0.0.1:" + target.port() + "/status/200?" + tag,
        results.get(3).get("redirects").get(0).asText());
    assertEquals("FAILED", results.get(4).get("state").asText());
    assertEquals("redirect to a non-HTTP URL: ftp://hopper:***@127.0.0.1:" + target.port()
        + "/file?" + tag, results.get(4).get("error").asText());
    assertNoSecret("GET /jobs/{id}", job.toString());
    assertNoSecret("GET /jobs/{id}?results=false",
        api.getText("/jobs/" + id + "?results=false").body());

    api.awaitReadSide(Duration.ofSeconds(30));
    String ndjson = api.getText("/jobs/" + id + "/results").body();
    assertTrue(ndjson.contains(withUserInfo("al%40ice:***", decoded)), ndjson);
    assertTrue(ndjson.contains("ftp://hopper:***@"), ndjson);
    assertNoSecret("the NDJSON export", ndjson);
    String csv = api.getText("/jobs/" + id + "/results?format=csv").body();
    assertTrue(csv.contains(withUserInfo("al%40ice:***", decoded)), csv);
    assertTrue(csv.contains("http://hopper:***@"), csv);
    assertNoSecret("the CSV export", csv);
    assertNoSecret("GET /jobs", api.getText("/jobs?name=" + tag).body());
    assertNoSecret("GET /stats", api.getText("/stats").body());
  }

  @Test
  void anAuthorizationHeaderOfTheJobWinsOverCredentialsInTheUrl() {
    String path = "/echo?job-header=" + UUID.randomUUID();
    String id = api.submit(Map.of("urls", List.of(withUserInfo("erin:Sesame-erin", path)),
        "headers", Map.of("authorization", "Bearer Sesame-job")));
    api.awaitFinished(id, Duration.ofSeconds(30));
    assertEquals("Bearer Sesame-job", target.lastRequest(path).headers().get("Authorization"));
  }

  @Test
  void refusedUrlsAndBodiesDoNotEchoTheirSecrets() {
    // Each of these is refused; its problem names the field but shows no password.
    for (String url : List.of(
        "http://eve:Sesame pw@127.0.0.1/",      // a space: not a URL
        "http://eve:Sesame/pw@127.0.0.1/",      // an unencoded '/' ends the authority early
        "http://eve:Sesame@/path",              // no host
        "ftp://eve:Sesame@127.0.0.1/")) {       // not http
      var json = api.postJson(Map.of("urls", List.of(url)));
      assertEquals(400, json.status(), url);
      assertNoSecret("the refusal of " + url, json.body().toString());
      var text = api.post("/jobs", "text/plain", url + "\n");
      assertEquals(400, text.status(), url);
      assertNoSecret("the refusal of " + url + " as text", text.body().toString());
    }
    // Malformed JSON: the parser's message must not quote the token it could not read.
    var malformed = api.post("/jobs", "application/json",
        "{\"urls\":[\"http://127.0.0.1:1/\"],\"headers\":{\"X-Api-Key\":Sesame-unquoted}}");
    assertEquals(400, malformed.status());
    assertEquals("body", malformed.body().get("field").asText());
    assertNoSecret("the refusal of malformed JSON", malformed.body().toString());
  }
}
