package io.fetchrunner.support;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A misbehaving-on-purpose HTTP server on 127.0.0.1 for the tests to fetch from, in its own
 * actor system (non-blocking, so thousands of slow requests cost no threads).
 *
 * <ul>
 *   <li>{@code /delay/{ms}}: 200 with a 2-byte body after {@code ms} milliseconds
 *       ({@code ?size=N}: an N-byte body instead)
 *   <li>{@code /status/{code}}: that status, with a short body
 *   <li>{@code /bytes/{n}}: 200 with an {@code n}-byte body, streamed in chunks
 *   <li>{@code /drop}: headers promising 100,000 bytes, 1,000 bytes, then the connection drops
 *   <li>{@code /trickle/{n}?every={ms}}: 200 with an {@code n}-byte body sent a byte at a time
 *   <li>{@code /flaky/{failures}/{status}?...}: {@code status} for the first {@code failures}
 *       requests of that path-and-query, then 200
 *   <li>{@code /redirect/{n}}: 302 to the relative {@code /redirect/{n-1}}; {@code /redirect/0}
 *       answers 200. {@code /loop/a} and {@code /loop/b} redirect to each other.
 *       {@code /redirect-to?url=...}: 302 to that URL.
 *       {@code /redirect-with-credentials/{scheme}/{rest}?query}: 302 to
 *       {@code {scheme}://hopper:Sesame-hop@127.0.0.1:{port}/{rest}?query}, a Location with a
 *       user and password ({@link #REDIRECT_PASSWORD}) that the request did not carry
 *   <li>{@code /echo}: 200 with a short body; the request (method, headers, body) is kept,
 *       see {@link #lastRequest(String)}; {@code ?fail-first=N}: 503 to the first N requests of
 *       that path-and-query (kept too); {@code ?fail-after=N}: 503 to every request after the
 *       first N; {@code ?vary}: the body changes with every request ("echo 1", "echo 2", ...)
 *   <li>{@code /versioned/{name}}: 200 with ETag {@code "<name>-<version>"} and a fixed
 *       Last-Modified, or 304 to an If-None-Match of the current ETag; {@link #bump} makes the
 *       next version
 *   <li>{@code retry-after=N} in the query of a non-2xx answer adds {@code Retry-After: N}
 * </ul>
 * {@link #resetUrl()} is a separate raw socket that resets every connection it accepts.
 * The server counts open connections ({@link #openConnections()}, {@link #peakConnections()}).
 * Any query string is ignored by the server but counted: {@link #hits(String)} tells how many
 * times a path-and-query was requested, so tests can give each URL its own identity.
 */
public final class TargetServer implements AutoCloseable {
  /** The password in the Location of {@code /redirect-with-credentials/...}. */
  public static final String REDIRECT_PASSWORD = "Sesame-hop";

  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final Map<String, List<Long>> hitTimes = new ConcurrentHashMap<>();
  /** Every request counted, in order of arrival. */
  private final List<Arrival> arrivals = Collections.synchronizedList(new ArrayList<>());

  /** A request's path and query, and when it arrived (System.nanoTime()). */
  public record Arrival(String pathAndQuery, long nanos) {}
  private final Map<String, Seen> lastRequest = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();
  private final Map<String, Integer> versions = new ConcurrentHashMap<>();
  /** What GET /robots.txt answers (404 while null). */
  private volatile String robots;
  private final AtomicInteger notModified = new AtomicInteger();
  private final boolean countHits;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger peak = new AtomicInteger();
  private ServerSocket resetSocket;
  private final String scheme;

  /** A request as the server saw it. */
  public record Seen(String method, Map<String, String> headers, String body) {}

  public TargetServer() {
    this(0, true);
  }

  /**
   * @param port 0 for any free port
   * @param countHits keep per-URL hit counts (tests); off for benchmarks with many URLs
   */
  public TargetServer(int port, boolean countHits) {
    this(port, countHits, null);
  }

  /** An HTTPS target on any free port, serving the certificate of {@code tls}. */
  public static TargetServer https(TestCertificate tls) {
    return new TargetServer(0, true, tls);
  }

  private TargetServer(int port, boolean countHits, TestCertificate tls) {
    this.countHits = countHits;
    this.scheme = tls == null ? "http" : "https";
    system = ActorSystem.create(Behaviors.empty(), "target", ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.loglevel = WARNING
        pekko.http.server.request-timeout = 120s
        pekko.http.server.idle-timeout = 180s
        pekko.http.server.max-connections = 16384
        pekko.http.server.backlog = 16384
        """).withFallback(ConfigFactory.load()));
    var materializer = org.apache.pekko.stream.Materializer.matFromSystem(system);
    try {
      var at = Http.get(system).newServerAt("127.0.0.1", port);
      if (tls != null) {
        at = at.enableHttps(org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(
            tls.serverContext()));
      }
      binding = at.connectionSource()
          .to(org.apache.pekko.stream.javadsl.Sink.foreach(connection -> {
            peak.accumulateAndGet(open.incrementAndGet(), Math::max);
            connection.handleWith(org.apache.pekko.stream.javadsl.Flow.of(HttpRequest.class)
                .mapAsync(1, this::counted)
                .watchTermination((mat, done) -> {
                  done.whenComplete((d, e) -> open.decrementAndGet());
                  return mat;
                }), materializer);
          }))
          .run(materializer)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("target server did not start", e);
    }
  }

  public String url(String pathAndQuery) {
    return scheme + "://127.0.0.1:" + port() + pathAndQuery;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** How many requests arrived for this path-and-query (as given to {@link #url}). */
  public int hits(String pathAndQuery) {
    AtomicInteger n = hits.get(pathAndQuery);
    return n == null ? 0 : n.get();
  }

  /** The next version of {@code /versioned/{name}}: a new ETag and body. */
  public void bump(String name) {
    versions.merge(name, 2, (a, b) -> a + 1);
  }

  /** How many 304s {@code /versioned/...} answered. */
  public int notModifiedAnswers() {
    return notModified.get();
  }

  public int totalHits() {
    return total.get();
  }

  /** When each request for this path-and-query arrived (System.nanoTime()). */
  public List<Long> hitTimes(String pathAndQuery) {
    return List.copyOf(hitTimes.getOrDefault(pathAndQuery, List.of()));
  }

  /** From now on GET /robots.txt answers {@code body} (null: 404). */
  public void robots(String body) {
    robots = body;
  }

  /** Every request counted since the start, in order of arrival. */
  public List<Arrival> arrivals() {
    synchronized (arrivals) {
      return List.copyOf(arrivals);
    }
  }

  /** The last request to {@code /echo...} with this path-and-query. */
  public Seen lastRequest(String pathAndQuery) {
    return lastRequest.get(pathAndQuery);
  }

  public int openConnections() {
    return open.get();
  }

  public int peakConnections() {
    return peak.get();
  }

  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger peakInFlight = new AtomicInteger();

  /** The most requests the server was answering at once (from arrival to the answer ready). */
  public int peakInFlight() {
    return peakInFlight.get();
  }

  private CompletionStage<HttpResponse> counted(HttpRequest request) {
    peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    return handle(request).whenComplete((r, e) -> inFlight.decrementAndGet());
  }

  public void resetPeak() {
    peak.set(open.get());
  }

  /** From now on, peakInFlight() counts from the requests in flight now. */
  public void resetPeakInFlight() {
    peakInFlight.set(inFlight.get());
  }

  /** A URL whose server accepts the connection, then resets it (TCP RST) at once. */
  public synchronized String resetUrl() {
    if (resetSocket == null) {
      try {
        resetSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      Thread t = new Thread(() -> {
        while (!resetSocket.isClosed()) {
          try (Socket s = resetSocket.accept()) {
            hits.computeIfAbsent("/reset", k -> new AtomicInteger()).incrementAndGet();
            s.setSoLinger(true, 0); // close with RST
          } catch (IOException e) {
            // closed
          }
        }
      }, "reset-server");
      t.setDaemon(true);
      t.start();
    }
    return "http://127.0.0.1:" + resetSocket.getLocalPort() + "/reset";
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request) {
    var uri = request.getUri();
    String path = uri.path();
    String key = path + uri.rawQueryString().map(q -> "?" + q).orElse("");
    total.incrementAndGet();
    int hit = 0;
    if (countHits) {
      hit = hits.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      arrivals.add(new Arrival(key, System.nanoTime()));
      hitTimes.computeIfAbsent(key, k -> Collections.synchronizedList(
          new ArrayList<>())).add(System.nanoTime());
    }
    String[] parts = path.split("/");
    String kind = parts.length > 1 ? parts[1] : "";
    String arg = parts.length > 2 ? parts[2] : "0";
    String retryAfter = uri.query().get("retry-after").orElse(null);
    if (kind.equals("echo")) {
      int failFirst = uri.query().get("fail-first").map(Integer::parseInt).orElse(0);
      int failAfter = uri.query().get("fail-after").map(Integer::parseInt).orElse(-1);
      boolean vary = uri.query().get("vary").isPresent();
      int echoHit = hit;
      return request.entity().toStrict(5000, system).thenApply(strict -> {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        request.getHeaders().forEach(h -> headers.put(h.name(), h.value()));
        if (!strict.getContentType().toString().equals("none/none")) {
          headers.put("Content-Type", strict.getContentType().toString());
        }
        lastRequest.put(key, new Seen(request.method().value(), headers,
            strict.getData().utf8String()));
        if (echoHit <= failFirst || (failAfter >= 0 && echoHit > failAfter)) {
          return HttpResponse.create().withStatus(503).withEntity("failing " + echoHit);
        }
        return HttpResponse.create().withEntity(vary ? "echo " + echoHit : "echo");
      });
    }
    request.discardEntityBytes(system);
    switch (kind) {
      case "delay": {
        long ms = Long.parseLong(arg);
        HttpResponse ok = uri.query().get("size")
            .map(n -> HttpResponse.create().withEntity(HttpEntities.create(
                ContentTypes.APPLICATION_OCTET_STREAM, new byte[Integer.parseInt(n)])))
            .orElseGet(() -> HttpResponse.create().withEntity("ok"));
        if (ms == 0) return CompletableFuture.completedFuture(ok);
        // Pekko's scheduler, not CompletableFuture.delayedExecutor: on 2 cores the latter
        // runs every task on a new thread (common pool parallelism 1).
        CompletableFuture<HttpResponse> later = new CompletableFuture<>();
        system.scheduler().scheduleOnce(Duration.ofMillis(ms), () -> later.complete(ok),
            system.executionContext());
        return later;
      }
      case "status": {
        int code = Integer.parseInt(arg);
        HttpResponse r = HttpResponse.create().withStatus(code);
        return done(withRetryAfter(code == 204 || code == 304 ? r
            : r.withEntity("status " + arg), retryAfter));
      }
      case "versioned": {
        // ETag "<name>-<version>" (bump(name) makes the next version), a fixed Last-Modified;
        // If-None-Match with the current ETag: 304 without a body.
        String etag = "\"" + arg + "-" + versions.getOrDefault(arg, 1) + "\"";
        String match = request.getHeader("If-None-Match").map(h -> h.value()).orElse(null);
        var headers = List.<org.apache.pekko.http.javadsl.model.HttpHeader>of(
            org.apache.pekko.http.javadsl.model.headers.RawHeader.create("ETag", etag),
            org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Last-Modified",
                "Thu, 01 Jan 2026 00:00:00 GMT"));
        if (etag.equals(match)) {
          notModified.incrementAndGet();
          return done(HttpResponse.create().withStatus(304).addHeaders(headers));
        }
        return done(HttpResponse.create().addHeaders(headers).withEntity("version " + etag));
      }
      case "flaky": {
        int failures = Integer.parseInt(arg);
        int status = Integer.parseInt(parts[3]);
        if (hit > failures) return done(HttpResponse.create().withEntity("ok"));
        return done(withRetryAfter(HttpResponse.create().withStatus(status)
            .withEntity("failing " + hit + " of " + failures), retryAfter));
      }
      case "trickle": {
        long n = Long.parseLong(arg);
        long every = Long.parseLong(uri.query().get("every").orElse("100"));
        Source<ByteString, ?> slow = Source.tick(Duration.ZERO, Duration.ofMillis(every),
                ByteString.fromString("x")).take(n).mapMaterializedValue(m -> m);
        return done(HttpResponse.create().withEntity(HttpEntities.create(
            ContentTypes.APPLICATION_OCTET_STREAM, n, slow)));
      }
      case "redirect": {
        int n = Integer.parseInt(arg);
        if (n <= 0) return done(HttpResponse.create().withEntity("arrived"));
        return done(redirect("/redirect/" + (n - 1)));
      }
      case "loop":
        return done(redirect(arg.equals("a") ? "/loop/b" : "/loop/a"));
      case "redirect-to":
        return done(redirect(uri.query().get("url").orElseThrow()));
      case "redirect-with-credentials": {
        String rest = path.substring(("/" + kind + "/" + arg + "/").length());
        return done(redirect(arg + "://hopper:" + REDIRECT_PASSWORD + "@127.0.0.1:" + port()
            + "/" + rest + uri.rawQueryString().map(q -> "?" + q).orElse("")));
      }
      case "bytes": {
        long n = Long.parseLong(arg);
        return done(HttpResponse.create().withEntity(HttpEntities.create(
            ContentTypes.APPLICATION_OCTET_STREAM, n, chunks(n))));
      }
      case "drop": {
        Source<ByteString, ?> broken = Source.single(ByteString.fromArray(new byte[1000]))
            .concat(Source.<ByteString>failed(new RuntimeException("dropped on purpose"))
                .initialDelay(Duration.ofMillis(50)));
        return done(HttpResponse.create().withEntity(HttpEntities.create(
            ContentTypes.APPLICATION_OCTET_STREAM, 100_000, broken)));
      }
      case "robots.txt": {
        String body = robots;
        return done(body == null ? HttpResponse.create().withStatus(404)
            : HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8,
                body)));
      }
      default:
        return done(HttpResponse.create().withStatus(404).withEntity("no such endpoint"));
    }
  }

  private static HttpResponse redirect(String location) {
    return HttpResponse.create().withStatus(302)
        .addHeader(org.apache.pekko.http.javadsl.model.headers.Location.create(location))
        .withEntity("redirecting");
  }

  private static HttpResponse withRetryAfter(HttpResponse r, String seconds) {
    return seconds == null ? r
        : r.addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
            "Retry-After", seconds));
  }

  /** Runs a target server for benchmarks: {@code TargetServer [port]}; stops on Ctrl-C. */
  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    TargetServer server = new TargetServer(port, false);
    System.out.println("target listening on http://127.0.0.1:" + server.port());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
  }

  private static Source<ByteString, ?> chunks(long n) {
    int chunk = 64 * 1024;
    ByteString full = ByteString.fromArray(new byte[chunk]);
    long fullChunks = n / chunk;
    int rest = (int) (n % chunk);
    Source<ByteString, ?> body = Source.repeat(full).take(fullChunks);
    return rest == 0 ? body : body.concat(Source.single(ByteString.fromArray(new byte[rest])));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  @Override
  public void close() {
    if (resetSocket != null) {
      try {
        resetSocket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    binding.unbind();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort
    }
  }
}
