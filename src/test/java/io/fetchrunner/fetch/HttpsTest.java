package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * https:// URLs against real TLS servers on 127.0.0.1 with certificates made for the test:
 * fetched when their authority is trusted (fetchrunner.fetch.tls.ca-file, besides the JVM's
 * own), refused with a result that says why when it is not or when the name does not match.
 */
class HttpsTest {

  @Test
  void httpsIsFetchedWhenTrustedAndRefusedWithTheReasonOtherwise(@TempDir Path dir)
      throws Exception {
    Path good = Files.createDirectories(dir.resolve("good"));
    Path wrongName = Files.createDirectories(dir.resolve("wrong-name"));
    Path untrusted = Files.createDirectories(dir.resolve("untrusted"));
    TestCertificate goodCert = TestCertificate.create(good, "ip:127.0.0.1");
    TestCertificate wrongNameCert = TestCertificate.create(wrongName, "dns:example.invalid");
    TestCertificate untrustedCert = TestCertificate.create(untrusted, "ip:127.0.0.1");
    // One PEM file with two authorities, as a user's bundle would have.
    Path bundle = dir.resolve("ca-bundle.pem");
    Files.writeString(bundle, Files.readString(goodCert.pem())
        + Files.readString(wrongNameCert.pem()));

    try (TargetServer secure = TargetServer.https(goodCert);
         TargetServer misnamed = TargetServer.https(wrongNameCert);
         TargetServer stranger = TargetServer.https(untrustedCert);
         TargetServer plain = new TargetServer();
         FetchRunner service = Services.start(dir.resolve("data"),
             "fetchrunner.fetch.tls.ca-file = \"" + bundle + "\"")) {
      Api api = new Api(service.port());
      String body = secure.url("/bytes/5000");
      String redirected = plain.url("/redirect-to?url=" + secure.url("/delay/0?via=http"));
      String id = api.submit(Map.of("urls", List.of(body, redirected,
          misnamed.url("/delay/0?name"), stranger.url("/delay/0?trust")), "retries", 2));
      JsonNode results = api.awaitFinished(id, Duration.ofSeconds(60)).get("results");

      JsonNode fetched = results.get(0);
      assertEquals("SUCCEEDED", fetched.get("state").asText(), fetched::toString);
      assertEquals(200, fetched.get("httpStatus").asInt());
      assertEquals(5000, fetched.get("bytes").asLong());
      assertEquals(1, secure.hits("/bytes/5000"));

      JsonNode viaRedirect = results.get(1);
      assertEquals("SUCCEEDED", viaRedirect.get("state").asText(), viaRedirect::toString);
      assertEquals(secure.url("/delay/0?via=http"),
          viaRedirect.get("redirects").get(0).asText());

      JsonNode misnamedResult = results.get(2);
      assertEquals("FAILED", misnamedResult.get("state").asText(), misnamedResult::toString);
      assertTrue(misnamedResult.get("error").asText().startsWith(
          "TLS: the server's certificate is not for this host")
              && misnamedResult.get("error").asText().contains("127.0.0.1"),
          "the error names the host the certificate does not match: " + misnamedResult);
      assertEquals(0, misnamed.hits("/delay/0?name"), "no request over a misnamed TLS session");

      JsonNode strangerResult = results.get(3);
      assertEquals("FAILED", strangerResult.get("state").asText(), strangerResult::toString);
      assertTrue(strangerResult.get("error").asText().startsWith(
          "TLS: the server's certificate is not trusted")
              && strangerResult.get("error").asText().contains("fetchrunner.fetch.tls.ca-file"),
          "the error says the certificate is not trusted, and where to trust it: "
              + strangerResult);
      assertEquals(0, stranger.hits("/delay/0?trust"));
      assertEquals(1, strangerResult.get("attempts").asInt(),
          "an untrusted certificate is not retried: a retry meets the same certificate");
      assertEquals(1, misnamedResult.get("attempts").asInt());
    }
  }

  @Test
  void aCertificateFileWithoutCertificatesIsRefusedNamingTheSetting(@TempDir Path dir)
      throws Exception {
    Path notPem = Files.writeString(dir.resolve("key.txt"), "not a certificate\n");
    var e = assertThrows(IllegalArgumentException.class,
        () -> TrustedCertificates.withExtraAuthorities(notPem));
    assertTrue(e.getMessage().startsWith("configuration: fetchrunner.fetch.tls.ca-file "
        + notPem), e.getMessage());
  }
}
