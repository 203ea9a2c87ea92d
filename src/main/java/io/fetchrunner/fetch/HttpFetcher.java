package io.fetchrunner.fetch;

import io.fetchrunner.Settings;
import io.fetchrunner.Stages;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Makes one attempt at a URL with Pekko HTTP's pooled, non-blocking client: checks the target
 * against the {@link TargetPolicy} (after DNS), waits for a {@link HostGate} permit, sends the
 * request, follows redirects for GET and HEAD, streams and counts the body (never stores it),
 * and turns whatever happens into an {@link AttemptOutcome}. Every response entity is consumed
 * or discarded; an abandoned attempt closes its body stream.
 */
public final class HttpFetcher {
  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
  private static final Set<Integer> RETRYABLE_STATUS = Set.of(429, 502, 503, 504);

  /** A host's pool holds this many connections unless more requests go to it at once. */
  public static final int SMALL_POOL = PoolTiers.SMALL;

  private final ActorSystem<?> system;
  private final Http http;
  private final Materializer materializer;
  private final PoolTiers pools;
  private final HostGate gate;
  private final TargetPolicy targets;
  private final Executor blocking;
  private final HttpsConnectionContext httpsContext;

  public HttpFetcher(ActorSystem<?> system, Settings.Fetch settings, TargetPolicy targets) {
    this.system = system;
    this.http = Http.get(system);
    this.materializer = Materializer.matFromSystem(system);
    this.targets = targets;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.httpsContext = settings.tlsCaFile().isBlank()
        ? http.defaultClientHttpsContext()
        : ConnectionContext.httpsClient(
            TrustedCertificates.withExtraAuthorities(java.nio.file.Path.of(settings.tlsCaFile())));
    // Two settings objects (PoolTiers), so each host has one pool or, when it gets more
    // requests at once than a small pool holds, one more. The gate keeps in-flight requests
    // per host at or below the large pool's max-connections, and sends a host's requests to
    // its small pool only while the host has no more than that pool's connections' worth in
    // flight and waiting, so no pool's queue overflows.
    ConnectionPoolSettings base = ConnectionPoolSettings.create(system.classicSystem())
        .withMaxRetries(0);
    Duration keptFor = connectionsKeptFor(base);
    // No host can have more in flight than max-in-flight, whatever per-host-concurrency says.
    this.pools = new PoolTiers(base,
        Math.min(settings.perHostConcurrency(), settings.maxInFlight()), keptFor,
        System::nanoTime);
    this.gate = new HostGate(settings.perHostConcurrency(), settings.maxInFlight(),
        settings.connectionRampStep(), settings.connectionRampInterval(),
        keptFor,
        (delay, task) -> system.scheduler().scheduleOnce(delay, task,
            system.executionContext()),
        System::nanoTime);
  }

  /**
   * How long a host's pool keeps a connection open after its last use: its keep-alive
   * timeout, and never longer than the pool itself lives without requests (idle-timeout).
   */
  static Duration connectionsKeptFor(ConnectionPoolSettings pool) {
    Duration kept = Duration.ZERO; // both unbounded: no warm start
    for (var limit : List.of(pool.getIdleTimeout(), pool.getKeepAliveTimeout())) {
      if (!limit.isFinite()) continue;
      Duration d = Duration.ofNanos(limit.toNanos());
      if (kept.isZero() || d.compareTo(kept) < 0) kept = d;
    }
    return kept;
  }

  /** Starts one attempt; the timeout runs from the first request being sent. */
  public Fetch fetch(FetchRequest request) {
    Fetch f = new Fetch(request);
    f.hop(request.url());
    return f;
  }

  /** One attempt in progress. {@link #cancel()} abandons it and frees its connection. */
  public final class Fetch {
    private final FetchRequest request;
    private final CompletableFuture<AttemptOutcome> result = new CompletableFuture<>();
    private final List<String> redirects = new ArrayList<>();
    private final Set<String> visited = new HashSet<>();
    private volatile Hop current;
    private volatile Cancellable timer;
    private volatile UniqueKillSwitch bodySwitch;
    private volatile long firstSentNanos;

    private Fetch(FetchRequest request) {
      this.request = request;
    }

    public CompletionStage<AttemptOutcome> result() {
      return result;
    }

    public void cancel() {
      finish(AttemptOutcome.failure(null, 0, elapsedMs(), "cancelled", redirects, false));
    }

    private void hop(String url) {
      visited.add(url);
      Uri uri; // parsed once: for the host, and as the request's URI
      String hostKey;
      try {
        uri = Uri.create(url);
        hostKey = hostKey(uri);
      } catch (RuntimeException e) {
        finish(AttemptOutcome.failure(null, 0, elapsedMs(), "invalid URL: " + url, redirects,
            false));
        return;
      }
      targets.check(uri.host().address(), blocking).whenComplete((denied, error) -> {
        if (error != null || denied.isPresent()) {
          String why = error != null ? describe(error) : denied.get();
          finish(AttemptOutcome.failure(null, 0, elapsedMs(),
              "target denied: " + why + " (fetchrunner.fetch.targets)", redirects, false));
          return;
        }
        Hop hop = new Hop(hostKey);
        current = hop;
        if (result.isDone()) return;
        hop.permit = gate.acquire(hostKey);
        hop.permit.thenRun(() -> send(hop, url, uri));
      });
    }

    private void send(Hop hop, String url, Uri uri) {
      if (!hop.permitState.compareAndSet(Hop.WAITING, Hop.HOLDING)) {
        gate.release(hop.hostKey); // finished while waiting for the permit
        return;
      }
      if (firstSentNanos == 0) {
        firstSentNanos = System.nanoTime();
        timer = system.scheduler().scheduleOnce(request.timeout(),
            () -> finish(AttemptOutcome.failure(null, 0, elapsedMs(),
                "timeout after " + request.timeout().toMillis() + " ms", redirects, true)),
            system.executionContext());
      }
      HttpRequest httpRequest;
      try {
        httpRequest = build(uri);
      } catch (RuntimeException e) {
        finish(AttemptOutcome.failure(null, 0, elapsedMs(), "invalid request: " + e.getMessage(),
            redirects, false));
        return;
      }
      // The job's hint is for the host of its URL, not of a redirect's Location.
      int hint = redirects.isEmpty() ? request.hostDemand() : 0;
      ConnectionPoolSettings pool =
          pools.choose(hop.hostKey, hint, () -> gate.wanted(hop.hostKey));
      Stages.plain(http.singleRequest(httpRequest, httpsContext, pool,
              system.classicSystem().log()))
          .whenComplete((response, error) -> {
            if (error != null) {
              finish(AttemptOutcome.failure(null, 0, elapsedMs(), describe(error), redirects,
                  isTransient(error)));
            } else {
              onResponse(hop, url, response);
            }
          });
    }

    private HttpRequest build(Uri uri) {
      HttpRequest r = HttpRequest.create().withUri(uri)
          .withMethod(HttpMethods.lookup(request.method()).orElseThrow(
              () -> new IllegalArgumentException("method " + request.method())));
      ContentType bodyType = ContentTypes.TEXT_PLAIN_UTF8;
      for (Map.Entry<String, String> h : request.headers().entrySet()) {
        if (h.getKey().equalsIgnoreCase("Content-Type")) {
          bodyType = ContentTypes.parse(h.getValue());
        } else {
          r = r.addHeader(RawHeader.create(h.getKey(), h.getValue()));
        }
      }
      if (request.body() != null) {
        r = r.withEntity(HttpEntities.create(bodyType,
            request.body().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      }
      return r;
    }

    private void onResponse(Hop hop, String url, HttpResponse response) {
      int status = response.status().intValue();
      if (result.isDone()) {
        response.discardEntityBytes(materializer); // abandoned: drain so the connection is freed
        return;
      }
      Optional<String> location = response.getHeader("Location").map(h -> h.value());
      boolean follow = REDIRECTS.contains(status) && location.isPresent()
          && (request.method().equals("GET") || request.method().equals("HEAD"));
      if (follow) {
        response.discardEntityBytes(materializer);
        hop.release();
        String next;
        try {
          next = URI.create(url).resolve(location.get().strip()).toString();
        } catch (IllegalArgumentException e) {
          finish(AttemptOutcome.failure(status, 0, elapsedMs(),
              "redirect to an invalid Location: " + location.get(), redirects, false));
          return;
        }
        if (visited.contains(next)) {
          redirects.add(next);
          finish(AttemptOutcome.failure(status, 0, elapsedMs(),
              "redirect loop: " + next + " was already visited", redirects, false));
        } else if (redirects.size() >= request.maxRedirects()) {
          finish(AttemptOutcome.failure(status, 0, elapsedMs(),
              "more than " + request.maxRedirects() + " redirects", redirects, false));
        } else if (!next.startsWith("http://") && !next.startsWith("https://")) {
          finish(AttemptOutcome.failure(status, 0, elapsedMs(),
              "redirect to a non-HTTP URL: " + next, redirects, false));
        } else {
          redirects.add(next);
          hop(next);
        }
        return;
      }
      readBody(response, status);
    }

    private void readBody(HttpResponse response, int status) {
      long[] bytes = {0};
      MessageDigest digest = request.sha256() ? sha256() : null;
      long max = request.maxBodyBytes();
      String contentType = contentType(response);
      if (response.entity() instanceof HttpEntity.Strict strict) {
        // The whole body came with the response (small bodies usually do): no stream to run.
        var data = strict.getData();
        bytes[0] = data.size();
        if (bytes[0] > max) {
          bodyDone(status, response, contentType, bytes[0], null, new BodyTooLarge(max));
          return;
        }
        if (digest != null) digest.update(data.asByteBuffer());
        bodyDone(status, response, contentType, bytes[0], digest, null);
        return;
      }
      var pair = response.entity().withoutSizeLimit().getDataBytes()
          .viaMat(KillSwitches.single(), Keep.right())
          .toMat(Sink.foreach(chunk -> {
            bytes[0] += chunk.size();
            if (bytes[0] > max) throw new BodyTooLarge(max);
            if (digest != null) digest.update(chunk.asByteBuffer());
          }), Keep.both())
          .run(materializer);
      bodySwitch = pair.first();
      if (result.isDone()) bodySwitch.abort(new CancellationException("abandoned"));
      Stages.plain(pair.second()).whenComplete((done, error) ->
          bodyDone(status, response, contentType, bytes[0], digest, error));
    }

    /** The body was read (or failed): the attempt's outcome. */
    private void bodyDone(int status, HttpResponse response, String contentType, long bytes,
        MessageDigest digest, Throwable error) {
      long latency = elapsedMs();
      if (error != null) {
        finish(new AttemptOutcome(false, status, bytes, latency, describe(error),
            contentType, null, redirects, isTransient(error), null));
      } else if (status >= 200 && status < 300) {
        finish(new AttemptOutcome(true, status, bytes, latency, null, contentType,
            digest == null ? null : HexFormat.of().formatHex(digest.digest()), redirects,
            false, null));
      } else {
        finish(new AttemptOutcome(false, status, bytes, latency,
            "HTTP " + status + " " + response.status().reason(), contentType, null, redirects,
            RETRYABLE_STATUS.contains(status), retryAfter(response)));
      }
    }

    private void finish(AttemptOutcome outcome) {
      if (!result.complete(outcome)) return;
      Cancellable t = timer;
      if (t != null) t.cancel();
      UniqueKillSwitch s = bodySwitch;
      if (s != null) s.abort(new CancellationException("fetch finished"));
      Hop hop = current;
      if (hop != null) hop.release();
    }

    private long elapsedMs() {
      long sent = firstSentNanos;
      return sent == 0 ? 0 : (System.nanoTime() - sent) / 1_000_000;
    }
  }

  /** One request of an attempt (the first, or a redirect), and its host permit. */
  private final class Hop {
    static final int WAITING = 0;
    static final int HOLDING = 1;
    static final int RELEASED = 2;

    final String hostKey;
    final AtomicInteger permitState = new AtomicInteger(WAITING);
    volatile CompletableFuture<Void> permit;

    Hop(String hostKey) {
      this.hostKey = hostKey;
    }

    void release() {
      int before = permitState.getAndSet(RELEASED);
      if (before == HOLDING) {
        gate.release(hostKey);
      } else if (before == WAITING && permit != null) {
        permit.cancel(false); // if it completed meanwhile, send() sees RELEASED and returns it
      }
    }
  }

  /** host:port (the scheme's port when the URI has none), lower case. */
  static String hostKey(Uri uri) {
    String host = uri.host().address();
    if (host.isEmpty()) throw new IllegalArgumentException("no host in " + uri);
    return host.toLowerCase(java.util.Locale.ROOT) + ":" + uri.port();
  }

  private static String contentType(HttpResponse response) {
    String ct = response.entity().getContentType().toString();
    return ct.equals("none/none") ? null : ct;
  }

  /** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
  static Duration retryAfter(HttpResponse response) {
    return response.getHeader("Retry-After").map(h -> parseRetryAfter(h.value())).orElse(null);
  }

  static Duration parseRetryAfter(String value) {
    String v = value.strip();
    try {
      if (v.matches("\\d+")) return Duration.ofSeconds(Long.parseLong(v));
      ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
      Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
      return d.isNegative() ? Duration.ZERO : d;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** A failure a later attempt may not meet: the connection, not the answer, went wrong. */
  static boolean isTransient(Throwable error) {
    Throwable e = unwrap(error);
    if (e instanceof BodyTooLarge) return false;
    if (certificateProblem(error) != null) return false; // a retry meets the same certificate
    return e instanceof java.io.IOException
        || e instanceof TimeoutException
        || e.getClass().getName().startsWith("org.apache.pekko.stream.StreamTcpException")
        || e.getClass().getName().contains("EntityStreamException")
        || e.getClass().getName().contains("UnexpectedConnectionClosureException")
        || String.valueOf(e.getMessage()).toLowerCase().contains("connection");
  }

  private static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e.getCause() instanceof java.net.ConnectException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** The refusal of a server's certificate in this failure's causes, or null. */
  static Throwable certificateProblem(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof java.security.cert.CertificateException
          || t instanceof java.security.cert.CertPathValidatorException
          || t instanceof java.security.cert.CertPathBuilderException) {
        return t;
      }
    }
    return null;
  }

  static String describe(Throwable error) {
    Throwable e = unwrap(error);
    if (e instanceof BodyTooLarge) return e.getMessage();
    Throwable certificate = certificateProblem(error);
    if (certificate != null) {
      String why = String.valueOf(certificate.getMessage());
      String lower = why.toLowerCase(java.util.Locale.ROOT);
      return lower.contains("subject alternative") || lower.contains("no name matching")
          ? "TLS: the server's certificate is not for this host: " + why
          : "TLS: the server's certificate is not trusted: " + why + " (an authority can be"
              + " added with fetchrunner.fetch.tls.ca-file)";
    }
    if (e instanceof java.net.ConnectException) return "connection refused";
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static int nextPowerOfTwo(int n) {
    int p = 1;
    while (p < n) p <<= 1;
    return p;
  }

  /** The body grew past the job's maxBodyBytes; the connection is closed. */
  static final class BodyTooLarge extends RuntimeException {
    BodyTooLarge(long limit) {
      super("body larger than " + limit + " bytes (maxBodyBytes)");
    }
  }
}
