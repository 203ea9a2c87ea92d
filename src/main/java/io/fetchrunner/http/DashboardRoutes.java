package io.fetchrunner.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The dashboard: {@code GET /} (its page) and {@code GET /dashboard/{file}} (its modules and
 * styles, from {@code src/main/resources/dashboard/} in the jar), and uPlot from its WebJar at
 * {@code /dashboard/vendor/uplot-{version}/...}, and {@code /dashboard/config.json} (whether the
 * API needs a token). These are served without the API token (they hold no data; the page asks
 * for the token and sends it with every API call).
 *
 * <p>Only names of the form {@code word.ext} with a known extension are looked up, so no
 * request reaches another resource of the jar ({@code ..}, slashes, encoded or not, are simply
 * not names). The page and modules are revalidated on every load ({@code no-cache} with an
 * ETag): a new jar's dashboard shows at once; uPlot's URL carries its version, so browsers keep
 * it for a year.
 */
public final class DashboardRoutes extends AllDirectives {
  /** The uPlot WebJar's version (pom.xml's uplot.version): part of its resource path. */
  static final String UPLOT_VERSION = "1.6.30";
  private static final String UPLOT_DIR = "META-INF/resources/webjars/uplot/" + UPLOT_VERSION
      + "/dist/";
  private static final List<String> UPLOT_FILES = List.of("uPlot.esm.js", "uPlot.min.css");

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}\\.([a-z]{2,4})");
  private static final ContentType JS = ContentTypes.parse("text/javascript; charset=UTF-8");
  private static final Map<String, ContentType> TYPES = Map.of(
      "js", JS,
      "css", ContentTypes.parse("text/css; charset=UTF-8"),
      "html", ContentTypes.TEXT_HTML_UTF8,
      "svg", ContentTypes.parse("image/svg+xml"),
      "png", ContentTypes.parse("image/png"));

  /**
   * Scripts, styles, API calls and images from this service only (uPlot sets element styles
   * through the DOM, which this allows); no framing.
   */
  private static final String CSP = "default-src 'self'; img-src 'self' data: blob:; "
      + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; "
      + "object-src 'none'";

  private record Asset(byte[] bytes, ContentType type, EntityTag etag) {}

  /** The files found so far (a name that is not there is looked up again, never kept). */
  private final Map<String, Asset> loaded = new ConcurrentHashMap<>();
  private final boolean tokenRequired;

  /** {@code tokenRequired}: the API needs a bearer token (the page asks for it before a call). */
  public DashboardRoutes(boolean tokenRequired) {
    this.tokenRequired = tokenRequired;
  }

  public Route routes() {
    // Paths first, then the method: other calls' answers stay as they were.
    return concat(
        pathSingleSlash(() -> get(() -> serve("dashboard/index.html", "html", false))),
        pathPrefix("dashboard", () -> get(() -> concat(
            pathEnd(() -> redirect(Uri.create("/"), StatusCodes.MOVED_PERMANENTLY)),
            pathSingleSlash(() ->
                redirect(Uri.create("/"), StatusCodes.MOVED_PERMANENTLY)),
            pathPrefix("vendor", () -> path(PathMatchers.segment().slash(PathMatchers.segment()),
                (dir, file) -> dir.equals("uplot-" + UPLOT_VERSION) && UPLOT_FILES.contains(file)
                    ? serve(UPLOT_DIR + file, file.substring(file.lastIndexOf('.') + 1), true)
                    : complete(notFound()))),
            // What the page must know before its first call: whether to ask for the token (so
            // that it never makes a call that fails).
            path("config.json", () -> respondWithHeaders(List.of(
                    RawHeader.create("Cache-Control", "no-store"),
                    RawHeader.create("X-Content-Type-Options", "nosniff")),
                () -> complete(HttpResponse.create().withEntity(HttpEntities.create(
                    ContentTypes.APPLICATION_JSON,
                    "{\"tokenRequired\":" + tokenRequired + "}"))))),
            path(PathMatchers.segment(), file -> {
              var m = NAME.matcher(file);
              return m.matches() && TYPES.containsKey(m.group(1))
                  ? serve("dashboard/" + file, m.group(1), false) : complete(notFound());
            }),
            extractUnmatchedPath(rest -> complete(notFound()))))));
  }

  private Route serve(String resource, String extension, boolean immutable) {
    Asset a = loaded.get(resource);
    if (a == null) {
      Optional<Asset> found = load(resource, extension);
      if (found.isEmpty()) return complete(notFound());
      a = found.get();
      loaded.put(resource, a);
    }
    Asset asset = a;
    List<HttpHeader> headers = List.of(
        RawHeader.create("Cache-Control", immutable
            ? "public, max-age=31536000, immutable" : "no-cache"),
        RawHeader.create("X-Content-Type-Options", "nosniff"),
        RawHeader.create("Referrer-Policy", "no-referrer"),
        RawHeader.create("Content-Security-Policy", CSP));
    return respondWithHeaders(headers, () -> conditional(asset.etag(), () -> complete(
        HttpResponse.create().withEntity(HttpEntities.create(asset.type(), asset.bytes())))));
  }

  private static Optional<Asset> load(String resource, String extension) {
    ContentType type = TYPES.get(extension);
    if (type == null) return Optional.empty();
    try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) return Optional.empty();
      byte[] bytes = in.readAllBytes();
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
      return Optional.of(new Asset(bytes, type, EntityTag.create(hash.substring(0, 32), false)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JVM has SHA-256
    }
  }

  private static HttpResponse notFound() {
    return Problem.notFound("no such file of the dashboard").toResponse();
  }
}
