package io.fetchrunner.fetch;

import io.fetchrunner.Stages;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.OutgoingConnection;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The open HTTP/1.1 connections to each host, one request at a time on each, kept open between
 * requests (keep-alive) for {@code keepAlive} and then closed.
 *
 * <p>Why not Pekko HTTP's host connection pool: a request handed to a pool cannot be taken
 * back. A request abandoned after its timeout kept its connection until the connection's
 * idle timeout (minutes), and requests queued behind it in the pool were sent after their URL
 * had long been recorded as failed (1,100 timed-out URLs jammed a host for later jobs; see
 * docs/BENCHMARKS.md and TimeoutTest). Here each request runs on a connection of its own that
 * the caller holds from {@link #acquire} to {@link Connection#release} or
 * {@link Connection#close}: closing it ends the request on the wire at once, and nothing is
 * ever queued out of the caller's sight ({@link HostGate} decides who may send).
 */
final class Connections {
  /**
   * A target's failures (a reset, a response that is not HTTP) become the URL's result; the
   * stream stages that meet them do not also log them, with a stack trace, as errors.
   */
  static final Attributes QUIET = Attributes.createLogLevels(Attributes.logLevelDebug(),
      Attributes.logLevelDebug(), Attributes.logLevelOff());

  private final Http http;
  private final Materializer materializer;
  private final ClientConnectionSettings settings;
  private final HttpsConnectionContext https;
  private final long keepAliveNanos;
  private final LongSupplier nanoClock;
  /** Idle connections by "scheme://host:port", most recently used first. */
  private final ConcurrentHashMap<String, ConcurrentLinkedDeque<Connection>> idle =
      new ConcurrentHashMap<>();
  /** Connection flows by "scheme://host:port", for the most recently used 1,024 hosts. */
  private final Map<String, Flow<HttpRequest, HttpResponse, CompletionStage<OutgoingConnection>>>
      flows = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Flow<HttpRequest, HttpResponse,
            CompletionStage<OutgoingConnection>>> eldest) {
          return size() > 1024;
        }
      };

  Connections(Http http, Materializer materializer, ClientConnectionSettings settings,
      HttpsConnectionContext https, Duration keepAlive, LongSupplier nanoClock) {
    this.http = http;
    this.materializer = materializer;
    this.settings = settings;
    this.https = https;
    this.keepAliveNanos = keepAlive.toNanos();
    this.nanoClock = nanoClock;
  }

  /**
   * An idle connection to the host (it was open and unused, and is now the caller's), or a new
   * one that may still be connecting ({@link Connection#established()}); always a new one
   * when {@code fresh}.
   */
  Connection acquire(boolean secure, String host, int port, boolean fresh) {
    String key = (secure ? "https://" : "http://") + host + ":" + port;
    ConcurrentLinkedDeque<Connection> ready = fresh ? null : idle.get(key);
    if (ready != null) {
      long now = nanoClock.getAsLong();
      Connection c;
      while ((c = ready.pollFirst()) != null) {
        if (c.reusableAt(now)) return c.reused();
        c.close();
      }
    }
    return connect(key, secure, host, port);
  }

  private Connection connect(String key, boolean secure, String host, int port) {
    Pair<Pair<BoundedSourceQueue<HttpRequest>, CompletionStage<OutgoingConnection>>,
        SinkQueueWithCancel<HttpResponse>> m = Source.<HttpRequest>queue(1)
        .viaMat(flow(key, secure, host, port), Keep.both())
        .toMat(Sink.queue(), Keep.both())
        .addAttributes(QUIET)
        .run(materializer);
    // Stages.plain: callbacks on Pekko's own futures would each start a thread (see there).
    return new Connection(key, m.first().first(), Stages.plain(m.first().second()),
        m.second());
  }

  /**
   * The client connection's flow to a host, built once and materialized for each new
   * connection: a blueprint is immutable, and building this one (the client's settings, its
   * protocol stages) took 72 % of the time spent opening a connection in W3's profile.
   */
  private Flow<HttpRequest, HttpResponse, CompletionStage<OutgoingConnection>> flow(String key,
      boolean secure, String host, int port) {
    synchronized (flows) {
      var flow = flows.get(key);
      if (flow != null) return flow;
    }
    var builder = http.connectionTo(host).toPort(port).withClientConnectionSettings(settings);
    var flow = secure ? builder.withCustomHttpsConnectionContext(https).https() : builder.http();
    synchronized (flows) {
      flows.put(key, flow);
    }
    return flow;
  }

  /** Closes the idle connections unused for longer than keep-alive; called every second. */
  void closeExpired() {
    long now = nanoClock.getAsLong();
    for (var entry : idle.entrySet()) {
      Iterator<Connection> it = entry.getValue().iterator();
      while (it.hasNext()) {
        Connection c = it.next();
        if (!c.reusableAt(now) && entry.getValue().removeFirstOccurrence(c)) c.close();
      }
      // Removed only while empty, and releases add under the same key lock: none is lost.
      idle.computeIfPresent(entry.getKey(), (k, d) -> d.isEmpty() ? null : d);
    }
  }

  /** The connection closed before a response arrived. */
  static class ClosedBeforeResponse extends RuntimeException {
    ClosedBeforeResponse() {
      super("the connection was closed before a response arrived", null, false, false);
    }
  }

  /** The connection had closed (the server closed it while idle): the request was not sent. */
  static final class NotSent extends ClosedBeforeResponse {}

  /** One connection: one request at a time, its response's body read before the next. */
  final class Connection {
    private final String key;
    private final BoundedSourceQueue<HttpRequest> requests;
    private final CompletionStage<OutgoingConnection> established;
    private final SinkQueueWithCancel<HttpResponse> responses;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The next response, or empty once the connection closed: always pulled ahead. */
    private volatile CompletionStage<Optional<HttpResponse>> next;
    private volatile long idleSince;
    private volatile boolean reused;

    private Connection(String key, BoundedSourceQueue<HttpRequest> requests,
        CompletionStage<OutgoingConnection> established,
        SinkQueueWithCancel<HttpResponse> responses) {
      this.key = key;
      this.requests = requests;
      this.established = established;
      this.responses = responses;
      established.whenComplete((c, error) -> {
        if (error != null) close();
      });
      pullNext();
    }

    /** Completes when the TCP connection is open (at once for a reused connection). */
    CompletionStage<OutgoingConnection> established() {
      return established;
    }

    /** Whether it was open before this request (kept alive) rather than opened for it. */
    boolean wasReused() {
      return reused;
    }

    private Connection reused() {
      reused = true;
      return this;
    }

    /** Pulls the next response ahead of time, so a close by the server is seen while idle. */
    private void pullNext() {
      CompletionStage<Optional<HttpResponse>> pull = Stages.plain(responses.pull());
      next = pull;
      pull.whenComplete((response, error) -> {
        if (error != null || response.isEmpty()) close();
      });
    }

    /** Sends the request; the response comes with its entity still to read (or discard). */
    CompletionStage<HttpResponse> send(HttpRequest request) {
      CompletionStage<Optional<HttpResponse>> response = next;
      boolean sent = !closed.get() && requests.offer(request) == QueueOfferResult.enqueued();
      if (!sent) return CompletableFuture.failedFuture(new NotSent());
      return response.thenApply(r -> {
        if (r.isEmpty()) throw new ClosedBeforeResponse();
        pullNext();
        return r.get();
      });
    }

    private boolean reusableAt(long now) {
      return !closed.get() && now - idleSince < keepAliveNanos;
    }

    /** Gives it back for another request: its last response was read to the end. */
    void release() {
      if (closed.get()) return;
      idleSince = nanoClock.getAsLong();
      idle.compute(key, (k, d) -> {
        ConcurrentLinkedDeque<Connection> deque = d == null ? new ConcurrentLinkedDeque<>() : d;
        deque.addFirst(this);
        return deque;
      });
    }

    /** Closes it now, whatever it is doing: a request on it ends on the wire. */
    void close() {
      if (!closed.compareAndSet(false, true)) return;
      requests.fail(new ClosedByUs());
      responses.cancel();
    }

    boolean isClosed() {
      return closed.get();
    }
  }

  /** Why a connection's request stream failed: it was closed on purpose. */
  static final class ClosedByUs extends RuntimeException {
    ClosedByUs() {
      super("closed by fetchrunner", null, false, false);
    }
  }
}
