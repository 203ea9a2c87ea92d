package io.fetchrunner.fetch;

import io.fetchrunner.Secrets;
import io.fetchrunner.Stages;
import io.fetchrunner.fetch.Failures.Phase;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.Host;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * One attempt at a URL, from the target check to its outcome: checks the target against the
 * {@link TargetPolicy} (after DNS) and, when the job obeys it, the host's robots.txt; fails at
 * once for a host found unavailable; waits for a {@link HostGate} permit and the host's turn
 * ({@link Pace}); takes a connection ({@link Connections}: a kept-alive one or a new one),
 * sends the request, follows redirects for GET and HEAD (each hop checked again), streams and
 * counts the body (never stores it), tells {@link HostHealth} what the host answered, and turns
 * whatever happens into an {@link AttemptOutcome}. {@link #cancel()} abandons it and closes
 * its connection.
 *
 * <p>The attempt's timeout runs from its first request being handed to an open connection
 * (opening one has its own limit, fetchrunner.fetch.connect-timeout; waiting for a permit or
 * a turn is not counted). When it runs out, or the attempt is cancelled, the connection is
 * closed: the request ends on the wire, and the host's permit goes to the next request. A
 * connection goes back for reuse only after its response was read to the end.
 */
public final class Attempt {
  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
  private static final Set<Integer> RETRYABLE_STATUS = Set.of(429, 502, 503, 504);
  /** New connections tried for a request whose connection closed before it was sent. */
  private static final int MAX_RESENDS = 2;

  /** The client's parts all attempts share (HttpFetcher wires them once). */
  private final HttpFetcher.Parts parts;
  private final FetchRequest request;
  private final CompletableFuture<AttemptOutcome> result = new CompletableFuture<>();
  private final List<String> redirects = new ArrayList<>();
  private final Set<String> visited = new HashSet<>();
  private volatile Hop current;
  private volatile Cancellable timer;
  private volatile UniqueKillSwitch bodySwitch;
  private volatile long firstSentNanos;
  /** The status of the last response (a redirect's, while the next hop is under way). */
  private volatile Integer lastStatus;
  /** A request of the attempt waited for a host backed off. */
  private volatile boolean delayed;
  /** scheme://host:port of the attempt's URL. */
  private String firstOrigin;

  Attempt(HttpFetcher.Parts parts, FetchRequest request) {
    this.request = request;
    this.parts = parts;
  }

  /** Starts the attempt at its URL. */
  void start() {
    hop(request.url());
  }

  public CompletionStage<AttemptOutcome> result() {
    return result;
  }

  /** Whether the attempt waited for its host because the host was backed off. */
  public boolean delayed() {
    return delayed;
  }

  public void cancel() {
    Hop hop = current;
    finish(AttemptOutcome.failure(hop == null ? null : hop.status, hop == null ? 0 : hop.bytes,
        elapsedMs(), ErrorKind.CANCELLED, "cancelled", redirects, false));
  }

  private void hop(String url) {
    visited.add(url);
    // A redirect's Location may carry user:password@: requested without it, sent as Basic.
    Secrets.Target target = Secrets.target(url);
    Uri uri; // parsed once: for the host, and as the request's URI
    String hostKey;
    try {
      uri = Uri.create(target.url());
      hostKey = HttpFetcher.hostKey(uri);
    } catch (RuntimeException e) {
      finish(AttemptOutcome.failure(null, 0, elapsedMs(), ErrorKind.INVALID_URL,
          "invalid URL: " + Secrets.url(url), redirects, false));
      return;
    }
    String origin = uri.getScheme() + "://" + hostKey;
    if (firstOrigin == null) firstOrigin = origin;
    parts.targets().check(uri.host().address(), parts.blocking()).whenComplete((denied, error) -> {
      if (error != null) {
        var f = Failures.classify(error, Phase.CONNECT, hostKey, 0);
        finish(AttemptOutcome.failure(lastStatus, 0, elapsedMs(),
            f.kind() == ErrorKind.DNS ? ErrorKind.DNS : ErrorKind.DENIED,
            f.kind() == ErrorKind.DNS ? f.error()
                : "target denied: " + f.error() + " (fetchrunner.fetch.targets)",
            redirects, false));
        return;
      }
      if (denied.isPresent()) {
        finish(AttemptOutcome.failure(lastStatus, 0, elapsedMs(), ErrorKind.DENIED,
            "target denied: " + denied.get() + " (fetchrunner.fetch.targets)", redirects,
            false));
        return;
      }
      if (request.pace().robots()) {
        parts.robots().check(target.url()).whenComplete((decision, failed) -> {
          if (failed != null || !decision.allowed()) {
            finish(AttemptOutcome.failure(lastStatus, 0, elapsedMs(), ErrorKind.ROBOTS,
                failed != null ? "robots.txt not checked: " + failed : decision.reason(),
                redirects, false));
            return;
          }
          request.pace().crawlDelay(hostKey, decision.crawlDelay());
          admit(url, uri, hostKey, origin, target);
        });
      } else {
        admit(url, uri, hostKey, origin, target);
      }
    });
  }

  /** A target allowed (and by robots.txt, if asked): the host's turn, then the request. */
  private void admit(String url, Uri uri, String hostKey, String origin,
      Secrets.Target target) {
    String key = HostGroups.of(hostKey, parts.groupBy());
    Hop hop = new Hop(hostKey, key, origin.equals(firstOrigin), target.authorization());
    current = hop;
    if (result.isDone()) return;
    if (request.pace().failFast() && parts.health().unavailable(key)) {
      finish(AttemptOutcome.failure(lastStatus, 0, elapsedMs(), ErrorKind.HOST_UNAVAILABLE,
          "not tried: " + key + " is unavailable after connection failures in a row"
              + " (fetchrunner.fetch.host-unavailable; \"failFast\": false waits for it)",
          redirects, false));
      return;
    }
    hop.permit = parts.gate().acquire(key);
    if (!hop.permit.isDone()) noteDelay(key);
    hop.permit.thenRun(() -> connect(hop, url, uri));
  }

  /** The request waits for its host: counted once if back-off is why. */
  private void noteDelay(String key) {
    if (!delayed && parts.health().backingOff(key)) {
      delayed = true;
      parts.health().delayed(key);
    }
  }

  /** Holding a permit: takes a connection, and sends once it is open and paced. */
  private void connect(Hop hop, String url, Uri uri) {
    if (!hop.permitState.compareAndSet(Hop.WAITING, Hop.HOLDING)) {
      parts.gate().release(hop.key); // finished while waiting for the permit
      return;
    }
    open(hop, url, uri, false);
  }

  /**
   * The connection is open (or failed to open): the request waits for its host's turn
   * ({@link Pace}) before it is sent, so that the host sees the pacing, whatever opening
   * the connection took. A request sent again on a new connection keeps its turn.
   */
  private void sendInTurn(Hop hop, String url, Uri uri, Connections.Connection connection) {
    if (hop.turn != null) {
      send(hop, url, uri, connection);
      return;
    }
    connection.established().whenComplete((open, failed) -> {
      if (failed != null || result.isDone()) {
        send(hop, url, uri, connection); // names the failure, or returns at once
        return;
      }
      CompletableFuture<Void> turn = parts.pace().ready(hop.key, hop.hostKey, request.pace());
      hop.turn = turn;
      if (!turn.isDone()) noteDelay(hop.key);
      turn.thenRun(() -> send(hop, url, uri, connection));
      if (result.isDone()) turn.cancel(false);
    });
  }

  /** Takes a connection (a new one when {@code fresh}), and sends once it is open. */
  private void open(Hop hop, String url, Uri uri, boolean fresh) {
    hop.phase = Phase.CONNECT;
    boolean secure = uri.getScheme().equals("https");
    Connections.Connection connection =
        parts.connections().acquire(secure, uri.host().address(), uri.port(), fresh);
    Connections.Connection before = hop.connection.getAndSet(connection);
    if (before != null) before.close();
    if (result.isDone()) { // finished meanwhile: finish() may have missed the connection
      hop.release(false);
      return;
    }
    sendInTurn(hop, url, uri, connection);
  }

  private void send(Hop hop, String url, Uri uri, Connections.Connection connection) {
    if (result.isDone()) return;
    HttpRequest httpRequest;
    try {
      httpRequest = build(uri, hop);
    } catch (RuntimeException e) {
      finish(AttemptOutcome.failure(null, 0, elapsedMs(), ErrorKind.INVALID_URL,
          "invalid request: " + e.getMessage(), redirects, false));
      return;
    }
    // Queued at once: a new connection writes it as soon as it is open, and the timeout
    // starts then (at once on a kept-alive connection).
    connection.established().thenRun(() -> {
      hop.phase = Phase.HEADERS;
      startTimer();
    });
    Stages.plain(connection.send(httpRequest)).whenComplete((response, error) -> {
      if (Failures.unwrap(error) instanceof Connections.NotSent
          && hop.resends.incrementAndGet() <= MAX_RESENDS) {
        // The connection had closed before the request went out (a kept-alive one the
        // server closed while idle, or, on a heavily loaded machine, a new one whose TCP
        // actor stopped): nothing was sent, so a new connection takes it. The timeout runs on.
        open(hop, url, uri, true);
      } else if (error != null) {
        // Failed before it was open (refused, no route, connect timeout) or after.
        connection.established().whenComplete((open, notOpened) -> {
          var f = notOpened != null
              ? Failures.classify(notOpened, Phase.CONNECT, hop.hostKey, 0)
              : Failures.classify(error, Phase.HEADERS, hop.hostKey, 0);
          finish(AttemptOutcome.failure(null, 0, elapsedMs(), f.kind(), f.error(), redirects,
              f.retryable()));
        });
      } else {
        onResponse(hop, url, response);
      }
    });
  }

  /** The attempt's time starts with its first request on an open connection. */
  private synchronized void startTimer() {
    if (firstSentNanos != 0 || result.isDone()) return;
    firstSentNanos = System.nanoTime();
    timer = parts.system().scheduler().scheduleOnce(request.timeout(), this::timedOut,
        parts.system().executionContext());
  }

  /** The attempt's time ran out: what it was waiting for names the failure. */
  private void timedOut() {
    Hop hop = current;
    String after = "timeout after " + request.timeout().toMillis() + " ms";
    Phase phase = hop == null ? null : hop.phase;
    if (phase == Phase.BODY) {
      finish(AttemptOutcome.failure(hop.status, hop.bytes, elapsedMs(), ErrorKind.TIMEOUT_BODY,
          after + " reading the body (" + hop.bytes + " bytes received)", redirects, true));
    } else if (phase == Phase.HEADERS) {
      finish(AttemptOutcome.failure(null, 0, elapsedMs(), ErrorKind.TIMEOUT_HEADERS,
          after + " waiting for response headers", redirects, true));
    } else if (phase == Phase.CONNECT) {
      finish(AttemptOutcome.failure(null, 0, elapsedMs(), ErrorKind.TIMEOUT_CONNECT,
          after + " waiting for a connection to " + hop.hostKey + " to open; "
              + (redirects.isEmpty() ? "the request" : "the redirect") + " was not sent",
          redirects, true));
    } else {
      finish(AttemptOutcome.failure(null, 0, elapsedMs(), ErrorKind.TIMEOUT_QUEUED,
          after + ": the redirect was waiting for its turn to " + (hop == null ? "its host"
              : hop.hostKey) + " (fetchrunner.fetch.per-host-concurrency); it was not sent",
          redirects, true));
    }
  }

  /**
   * The request of a hop. A redirect to another origin (scheme, host or port) is sent
   * without the job's secret headers (Authorization, Cookie, API keys: see
   * {@link Secrets#isSecretHeader}), as curl and browsers do; a Location's own user:password
   * is sent as its Basic authorization.
   */
  private HttpRequest build(Uri uri, Hop hop) {
    // Sent on a connection of its own: origin-form target, and the Host header it names.
    boolean defaultPort = uri.port() == (uri.getScheme().equals("https") ? 443 : 80);
    HttpRequest r = HttpRequest.create().withUri(uri.toRelative())
        .withMethod(HttpMethods.lookup(request.method()).orElseThrow(
            () -> new IllegalArgumentException("method " + request.method())))
        .addHeader(defaultPort ? Host.create(uri.host().address())
            : Host.create(uri.host().address(), uri.port()));
    ContentType bodyType = ContentTypes.TEXT_PLAIN_UTF8;
    for (Map.Entry<String, String> h : request.headers().entrySet()) {
      if (h.getKey().equalsIgnoreCase("Content-Type")) {
        bodyType = ContentTypes.parse(h.getValue());
      } else if (!h.getKey().equalsIgnoreCase("Host")
          && (hop.sameOrigin || !Secrets.isSecretHeader(h.getKey()))
          && !(hop.authorization != null && h.getKey().equalsIgnoreCase("Authorization"))) {
        r = r.addHeader(RawHeader.create(h.getKey(), h.getValue()));
      }
    }
    if (hop.authorization != null) {
      r = r.addHeader(RawHeader.create("Authorization", hop.authorization));
    }
    if (request.body() != null) {
      r = r.withEntity(HttpEntities.create(bodyType,
          request.body().getBytes(StandardCharsets.UTF_8)));
    }
    return r;
  }

  private void onResponse(Hop hop, String url, HttpResponse response) {
    int status = response.status().intValue();
    hop.status = status;
    lastStatus = status;
    if (result.isDone()) {
      response.discardEntityBytes(parts.materializer()); // its connection is closed already
      return;
    }
    hop.phase = Phase.BODY;
    Optional<String> location = response.getHeader("Location").map(h -> h.value());
    boolean follow = REDIRECTS.contains(status) && location.isPresent()
        && (request.method().equals("GET") || request.method().equals("HEAD"));
    if (follow) {
      // A short body that came whole leaves the connection reusable; anything longer is
      // not worth reading: the connection is closed instead.
      boolean whole = response.entity() instanceof HttpEntity.Strict;
      if (!whole) response.discardEntityBytes(parts.materializer());
      hop.release(whole && keepsAlive(response));
      String next;
      try {
        next = URI.create(url).resolve(location.get().strip()).toString();
      } catch (IllegalArgumentException e) {
        finish(AttemptOutcome.failure(status, 0, elapsedMs(), ErrorKind.BAD_REDIRECT,
            "redirect to an invalid Location: " + location.get(), redirects, false));
        return;
      }
      if (visited.contains(next)) {
        redirects.add(Secrets.url(next));
        finish(AttemptOutcome.failure(status, 0, elapsedMs(), ErrorKind.TOO_MANY_REDIRECTS,
            "redirect loop: " + next + " was already visited", redirects, false));
      } else if (redirects.size() >= request.maxRedirects()) {
        finish(AttemptOutcome.failure(status, 0, elapsedMs(), ErrorKind.TOO_MANY_REDIRECTS,
            "more than " + request.maxRedirects() + " redirects", redirects, false));
      } else if (!next.startsWith("http://") && !next.startsWith("https://")) {
        finish(AttemptOutcome.failure(status, 0, elapsedMs(), ErrorKind.BAD_REDIRECT,
            "redirect to a non-HTTP URL: " + next, redirects, false));
      } else {
        redirects.add(Secrets.url(next));
        hop(next);
      }
      return;
    }
    readBody(hop, response, status);
  }

  private void readBody(Hop hop, HttpResponse response, int status) {
    MessageDigest digest = request.sha256() ? sha256() : null;
    long max = request.maxBodyBytes();
    String contentType = contentType(response);
    if (response.entity() instanceof HttpEntity.Strict strict) {
      // The whole body came with the response (small bodies usually do): no stream to run.
      var data = strict.getData();
      hop.bytes = data.size();
      if (hop.bytes > max) {
        bodyDone(hop, response, contentType, null, new Failures.BodyTooLarge(max));
        return;
      }
      if (digest != null) digest.update(data.asByteBuffer());
      bodyDone(hop, response, contentType, digest, null);
      return;
    }
    var pair = response.entity().withoutSizeLimit().getDataBytes()
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(Sink.foreach(chunk -> {
          long bytes = hop.bytes + chunk.size();
          hop.bytes = bytes; // one stream writes it; the timer reads it
          if (bytes > max) throw new Failures.BodyTooLarge(max);
          if (digest != null) digest.update(chunk.asByteBuffer());
        }), Keep.both())
        .addAttributes(Connections.QUIET)
        .run(parts.materializer());
    bodySwitch = pair.first();
    if (result.isDone()) bodySwitch.abort(new CancellationException("abandoned"));
    Stages.plain(pair.second()).whenComplete((done, error) ->
        bodyDone(hop, response, contentType, digest, error));
  }

  /** The body was read (or failed): the attempt's outcome. */
  private void bodyDone(Hop hop, HttpResponse response, String contentType,
      MessageDigest digest, Throwable error) {
    long latency = elapsedMs();
    int status = hop.status;
    long bytes = hop.bytes;
    if (error != null) {
      var f = Failures.classify(error, Phase.BODY, hop.hostKey, bytes);
      finish(new AttemptOutcome(false, status, bytes, latency, f.error(), f.kind(),
          contentType, null, redirects, f.retryable(), null));
      return;
    }
    boolean reusable = keepsAlive(response);
    // 304 answers a conditional request (If-None-Match, If-Modified-Since): the resource is
    // as the previous run got it, a success.
    boolean notModified = status == 304 && (request.headers().containsKey("If-None-Match")
        || request.headers().containsKey("If-Modified-Since"));
    if (status >= 200 && status < 300 || notModified) {
      finish(new AttemptOutcome(true, status, bytes, latency, null, null, contentType,
          digest == null || notModified ? null : HexFormat.of().formatHex(digest.digest()),
          redirects, false, null, header(response, "ETag"),
          header(response, "Last-Modified")), reusable);
    } else {
      finish(new AttemptOutcome(false, status, bytes, latency,
          "HTTP " + status + " " + response.status().reason(), ErrorKind.HTTP_STATUS,
          contentType, null, redirects, RETRYABLE_STATUS.contains(status),
          HttpFetcher.retryAfter(response)), reusable);
    }
  }

  private void finish(AttemptOutcome outcome) {
    finish(outcome, false);
  }

  /**
   * Ends the attempt once. {@code reusable}: the response was read to the end and its
   * connection may serve another request; otherwise the connection is closed.
   */
  private void finish(AttemptOutcome outcome, boolean reusable) {
    if (!result.complete(outcome)) return;
    Cancellable t = timer;
    if (t != null) t.cancel();
    UniqueKillSwitch s = bodySwitch;
    if (s != null && !reusable) s.abort(new CancellationException("fetch finished"));
    Hop hop = current;
    if (hop != null) {
      tellHealth(hop, outcome);
      hop.release(reusable);
    }
  }

  /** What the host's answer (or silence) says about it: the back-off's input. */
  private void tellHealth(Hop hop, AttemptOutcome o) {
    if (hop.permitState.get() != Hop.HOLDING) return; // never sent: says nothing of the host
    // Read only when the host is in trouble: most answers cost one set lookup here.
    IntSupplier inFlight = () -> parts.gate().inUse(hop.key);
    if (o.httpStatus() != null
        && (o.errorKind() == null || o.errorKind() == ErrorKind.HTTP_STATUS)) {
      parts.health().answered(hop.key, o.httpStatus(), o.retryAfter(), inFlight);
    } else if (o.errorKind() != null) {
      parts.health().failed(hop.key, o.errorKind(), inFlight);
    }
  }

  private long elapsedMs() {
    long sent = firstSentNanos;
    return sent == 0 ? 0 : (System.nanoTime() - sent) / 1_000_000;
  }

  /** One request of an attempt (the first, or a redirect): its permit and its connection. */
  private final class Hop {
    static final int WAITING = 0;
    static final int HOLDING = 1;
    static final int RELEASED = 2;

    final String hostKey;
    /** The host's group (fetchrunner.fetch.per-host.group-by): its permits, pace, back-off. */
    final String key;
    /** Same scheme, host and port as the attempt's URL: the job's secret headers may go. */
    final boolean sameOrigin;
    /** The Basic authorization of a Location's user:password, or null. */
    final String authorization;
    final AtomicInteger permitState = new AtomicInteger(WAITING);
    final AtomicReference<Connections.Connection> connection = new AtomicReference<>();
    /** Requests of this hop that went to a new connection because the last had closed. */
    final AtomicInteger resends = new AtomicInteger();
    volatile CompletableFuture<Void> permit;
    /** The host's turn (pacing), once the permit is held. */
    volatile CompletableFuture<Void> turn;
    /** Where the request is; null while it waits for a permit. */
    volatile Phase phase;
    volatile Integer status;
    volatile long bytes;

    Hop(String hostKey, String key, boolean sameOrigin, String authorization) {
      this.hostKey = hostKey;
      this.key = key;
      this.sameOrigin = sameOrigin;
      this.authorization = authorization;
    }

    /** Gives the connection back ({@code reusable}) or closes it, and frees the permit. */
    void release(boolean reusable) {
      Connections.Connection c = connection.getAndSet(null);
      if (c != null) {
        if (reusable) {
          c.release();
        } else {
          c.close();
        }
      }
      CompletableFuture<Void> t = turn;
      if (t != null) t.cancel(false); // leaves the pace queue if still waiting
      int before = permitState.getAndSet(RELEASED);
      if (before == HOLDING) {
        parts.gate().release(key);
      } else if (before == WAITING && permit != null) {
        permit.cancel(false); // if it completed meanwhile, connect() sees RELEASED and returns it
      }
    }
  }

  /** Whether the connection may carry another request after this response. */
  private static boolean keepsAlive(HttpResponse response) {
    if (response.getHeader("Connection").map(h -> h.value().toLowerCase(Locale.ROOT))
        .filter(v -> v.contains("close")).isPresent()) {
      return false;
    }
    return !response.protocol().value().equals("HTTP/1.0")
        || response.getHeader("Connection").map(h -> h.value().toLowerCase(Locale.ROOT))
            .filter(v -> v.contains("keep-alive")).isPresent();
  }

  private static String contentType(HttpResponse response) {
    String ct = response.entity().getContentType().toString();
    return ct.equals("none/none") ? null : ct;
  }

  private static String header(HttpResponse response, String name) {
    return response.getHeader(name).map(h -> h.value()).orElse(null);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
