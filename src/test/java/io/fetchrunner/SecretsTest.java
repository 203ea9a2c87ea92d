package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.job.FetchPolicy;
import io.fetchrunner.job.JobSpec;
import io.fetchrunner.job.UrlRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {

  private static String basic(String userAndPassword) {
    return "Basic " + Base64.getEncoder().encodeToString(
        userAndPassword.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aUrlIsShownWithoutItsPassword() {
    assertEquals("http://user:***@host/a?b#c", Secrets.url("http://user:pass@host/a?b#c"));
    assertEquals("https://u%40x:***@host:8443", Secrets.url("https://u%40x:p%2Fw@host:8443"));
    assertEquals("http://user:***@host/", Secrets.url("http://user:@host/"));
    assertEquals("http://***@host/", Secrets.url("http://token@host/"),
        "a user without a password may be a token");
    assertEquals("http://@host/", Secrets.url("http://@host/"));
    // '@' after the authority is not userinfo
    String plain = "http://host/path@x?mail=a@b#@c";
    assertSame(plain, Secrets.url(plain));
    assertEquals("http://user:***@host?q=a@b", Secrets.url("http://user:pw@host?q=a@b"));
    assertNull(Secrets.url(null));
  }

  @Test
  void everyUrlInATextIsShownWithoutItsPassword() {
    assertEquals("redirect loop: http://a:***@h/x was already visited, then ftp://***@g/",
        Secrets.text("redirect loop: http://a:b@h/x was already visited, then ftp://tok@g/"));
    assertEquals("[\"http://h1\",\"x@y\"]", Secrets.text("[\"http://h1\",\"x@y\"]"));
    assertEquals("mail me@example.com", Secrets.text("mail me@example.com"));
    assertEquals("\"http://a:***@h\"", Secrets.text("\"http://a:b@h\""));
    assertNull(Secrets.text(null));
    // A cluster node's address names its actor system, not a user: logs show it whole.
    assertEquals("Marking node [pekko://fetchrunner@10.0.0.2:25520] as UNREACHABLE",
        Secrets.text("Marking node [pekko://fetchrunner@10.0.0.2:25520] as UNREACHABLE"));
  }

  @Test
  void aRefusedUrlHidesAllItsAuthorityBeforeTheLastAt() {
    assertEquals("http://***@host/", Secrets.refusedUrl("http://user:pa/ss@host/"));
    assertEquals("http://***@host/", Secrets.refusedUrl("http://user:pa ss@host/"));
    assertEquals("http://host/", Secrets.refusedUrl("http://host/"));
    assertEquals("not a url @ all", Secrets.refusedUrl("not a url @ all"));
  }

  @Test
  void credentialsInAUrlBecomeBasicAuthorization() {
    var t = Secrets.target("http://al%40ice:Open%20Sesame%3A%E2%82%AC+1@127.0.0.1:8080/p?q=1");
    assertEquals("http://127.0.0.1:8080/p?q=1", t.url());
    assertEquals(basic("al@ice:Open Sesame:€+1"), t.authorization());

    var userOnly = Secrets.target("https://token@host/");
    assertEquals("https://host/", userOnly.url());
    assertEquals(basic("token:"), userOnly.authorization());

    var empty = Secrets.target("http://@host/");
    assertEquals("http://host/", empty.url());
    assertNull(empty.authorization());

    var none = Secrets.target("http://host/a@b");
    assertEquals("http://host/a@b", none.url());
    assertNull(none.authorization());

    // not valid percent-encoding or UTF-8: sent as written
    assertEquals(basic("a%zz:%FF"), Secrets.target("http://a%zz:%FF@host/").authorization());
  }

  @Test
  void secretHeadersAreTheDocumentedOnes() {
    for (String name : List.of("Authorization", "proxy-authorization", "Cookie", "X-Api-Key",
        "x-apikey", "X-Auth-Token", "PRIVATE-TOKEN", "X-Client-Secret", "X-Session-Id",
        "X-Password", "Ocp-Apim-Subscription-Key", "X-Credentials")) {
      assertTrue(Secrets.isSecretHeader(name), name);
    }
    for (String name : List.of("Accept", "User-Agent", "Content-Type", "X-Request-Id")) {
      assertFalse(Secrets.isSecretHeader(name), name);
    }
    Map<String, String> given = Map.of("Accept", "text/html", "X-Api-Key", "k");
    Map<String, String> shown = Secrets.headers(given);
    assertEquals("text/html", shown.get("accept"));
    assertEquals("***", shown.get("x-api-key"));
    Map<String, String> harmless = Map.of("Accept", "text/html");
    assertSame(harmless, Secrets.headers(harmless));
  }

  @Test
  void recordsPrintNoSecretHeaderValueBodyNorPassword() {
    var policy = new FetchPolicy(1, 2, 3, false,
        Map.of("X-Api-Key", "Sesame-1", "Accept", "text/html"));
    var request = new UrlRequest("POST", Map.of("Cookie", "Sesame-2"), "password=Sesame-3");
    var spec = new JobSpec("id", "name", List.of("http://a/", "http://b/"), 1, 1000,
        Instant.EPOCH, policy, Map.of(1, request));
    String printed = spec.toString();
    assertFalse(printed.contains("Sesame"), printed);
    assertTrue(printed.contains("X-Api-Key=***"), printed);
    assertTrue(printed.contains("Accept=text/html"), printed);
    assertTrue(printed.contains("Cookie=***"), printed);

    String store = new Settings.Store("jdbc:postgresql://fr:Sesame-4@db/fr", "fr", "Sesame-5",
        true).toString();
    assertFalse(store.contains("Sesame"), store);
  }
}
