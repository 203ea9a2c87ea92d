package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host the statistics group URLs by is read as URI reads it. */
class UrlHostTest {
  @Test
  void theDirectReadingAgreesWithUri() {
    for (String url : List.of("http://Example.COM/a?b=c", "https://example.com:8443",
        "http://127.0.0.1:19000/delay/0?size=1024&i=7", "http://[::1]:8080/x",
        "http://[FE80::1]/", "http://user:pw@example.com:81/x", "http://example.com:/x",
        "http://ex%41mple.com/", "https://a.example#frag", "http://h.example?q", "mailto:x@y",
        "http:///nohost")) {
      assertEquals(UrlHost.byUri(url), UrlHost.of(url), url);
    }
  }
}
