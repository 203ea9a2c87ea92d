package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's secret headers go only where the job sent them: a redirect to another host (or port,
 * or scheme) is followed without them, as curl and browsers do; a redirect to the same origin
 * keeps them; a Location's own user:password is sent as its Basic authorization and shown
 * redacted.
 */
class RedirectHeadersTest {

  @Test
  void secretHeadersDoNotFollowARedirectToAnotherOrigin(@TempDir Path dataDir) {
    try (TargetServer first = new TargetServer();
         TargetServer other = new TargetServer();
         FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      String cross = "/echo?cross";
      String same = "/echo?same";
      String id = api.submit(Map.of(
          "urls", List.of(first.url("/redirect-to?url=" + other.url(cross)),
              first.url("/redirect-to?url=" + first.url(same))),
          "headers", Map.of("Authorization", "Bearer Sesame-job", "Cookie", "session=Sesame",
              "X-Api-Key", "Sesame-key", "Accept", "text/plain"),
          "retries", 0));
      JsonNode job = api.awaitFinished(id, Duration.ofSeconds(20));
      assertEquals(2, job.get("succeeded").asInt(), job::toString);

      Map<String, String> elsewhere = lower(other.lastRequest(cross).headers());
      assertNull(elsewhere.get("authorization"), elsewhere::toString);
      assertNull(elsewhere.get("cookie"), elsewhere::toString);
      assertNull(elsewhere.get("x-api-key"), elsewhere::toString);
      assertEquals("text/plain", elsewhere.get("accept"), "other headers go on");

      Map<String, String> sameOrigin = lower(first.lastRequest(same).headers());
      assertEquals("Bearer Sesame-job", sameOrigin.get("authorization"));
      assertEquals("session=Sesame", sameOrigin.get("cookie"));
    }
  }

  @Test
  void aLocationsOwnCredentialsAreSentAsBasicAndShownRedacted(@TempDir Path dataDir) {
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("urls",
          List.of(target.url("/redirect-with-credentials/http/echo?creds")),
          "headers", Map.of("Authorization", "Bearer Sesame-job"), "retries", 0));
      JsonNode r = api.awaitFinished(id, Duration.ofSeconds(20)).get("results").get(0);
      assertEquals("SUCCEEDED", r.get("state").asText(), r::toString);
      String basic = "Basic " + Base64.getEncoder().encodeToString(
          ("hopper:" + TargetServer.REDIRECT_PASSWORD).getBytes(StandardCharsets.UTF_8));
      assertEquals(basic, lower(target.lastRequest("/echo?creds").headers())
          .get("authorization"), "the Location's credentials replace the job's");
      assertEquals("http://hopper:***@127.0.0.1:" + target.port() + "/echo?creds",
          r.get("redirects").get(0).asText());
    }
  }

  private static Map<String, String> lower(Map<String, String> headers) {
    var m = new HashMap<String, String>();
    headers.forEach((k, v) -> m.put(k.toLowerCase(Locale.ROOT), v));
    return m;
  }
}
