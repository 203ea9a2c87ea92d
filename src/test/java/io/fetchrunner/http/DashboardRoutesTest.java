package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Services;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's files: served without the token while the API still needs it, with their
 * content types and caching headers, and nothing else of the jar reachable through them.
 */
class DashboardRoutesTest {
  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(int port, String path, String... headers) {
    try {
      var builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(30)).GET();
      if (headers.length > 0) builder.headers(headers);
      return client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse("");
  }

  @Test
  void theDashboardIsServedWithoutTheTokenAndTheApiStillNeedsIt(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir,
        "fetchrunner.http.api-token = \"secret-of-the-test\"")) {
      int port = service.port();
      var page = get(port, "/");
      assertEquals(200, page.statusCode());
      assertEquals("text/html; charset=UTF-8", header(page, "Content-Type"));
      assertTrue(page.body().contains("<script type=\"module\" src=\"/dashboard/app.js\">"));
      assertEquals("no-cache", header(page, "Cache-Control"));
      assertTrue(header(page, "Content-Security-Policy").startsWith("default-src 'self'"));
      assertFalse(page.body().contains("secret-of-the-test"), "the token is never in a page");

      var module = get(port, "/dashboard/app.js");
      assertEquals(200, module.statusCode());
      assertEquals("text/javascript; charset=UTF-8", header(module, "Content-Type"));
      assertEquals("nosniff", header(module, "X-Content-Type-Options"));
      assertEquals("text/css; charset=UTF-8",
          header(get(port, "/dashboard/style.css"), "Content-Type"));

      var uplot = get(port, "/dashboard/vendor/uplot-" + DashboardRoutes.UPLOT_VERSION
          + "/uPlot.esm.js");
      assertEquals(200, uplot.statusCode());
      assertTrue(uplot.body().contains("export { uPlot as default }"));
      assertEquals("public, max-age=31536000, immutable", header(uplot, "Cache-Control"));

      var config = get(port, "/dashboard/config.json");
      assertEquals("{\"tokenRequired\":true}", config.body());

      // Revalidation: the same file again costs a 304.
      String etag = header(module, "ETag");
      assertFalse(etag.isEmpty());
      assertEquals(304, get(port, "/dashboard/app.js", "If-None-Match", etag).statusCode());

      // The API is not opened by the dashboard.
      assertEquals(401, get(port, "/jobs").statusCode());
      assertEquals(401, get(port, "/stats").statusCode());
    }
  }

  @Test
  void nothingButTheDashboardsOwnFilesIsReachable(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "fetchrunner.http.api-token = \"t\"")) {
      int port = service.port();
      for (String path : List.of(
          "/dashboard/../fetchrunner-runtime.conf",
          "/dashboard/%2e%2e/fetchrunner-runtime.conf",
          "/dashboard/..%2ffetchrunner-runtime.conf",
          "/dashboard/..%5cfetchrunner-runtime.conf",
          "/dashboard/%2e%2e%2fapplication.conf",
          "/dashboard/vendor/uplot-" + DashboardRoutes.UPLOT_VERSION + "/..%2f..%2fLICENSE",
          "/dashboard/vendor/uplot-" + DashboardRoutes.UPLOT_VERSION + "/package.json",
          "/dashboard/vendor/uplot-1.0.0/uPlot.esm.js",
          "/dashboard/io/fetchrunner/Main.class",
          "/dashboard/logback.xml",
          "/dashboard/missing.js",
          "/dashboard/App.js")) {
        // With the token: a path that leaves /dashboard/ is the API's, which has no such call.
        var r = get(port, path, "Authorization", "Bearer t");
        assertEquals(404, r.statusCode(), path);
        assertTrue(header(r, "Content-Type").startsWith("application/problem+json"), path);
        assertFalse(r.body().contains("fetchrunner {"), path);
      }
      assertEquals(301, get(port, "/dashboard").statusCode());
      // Other calls answer as before: an unknown path is still the API's 401 without a token.
      assertEquals(401, get(port, "/nothing-here").statusCode());
    }
  }
}
