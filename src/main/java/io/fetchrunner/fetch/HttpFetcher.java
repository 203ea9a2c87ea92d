package io.fetchrunner.fetch;

import io.fetchrunner.Settings;
import io.fetchrunner.Stages;
import io.fetchrunner.job.UrlResult;
import io.fetchrunner.job.UrlState;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Fetches one URL with Pekko HTTP's pooled, non-blocking client: waits for a per-host permit,
 * sends the request, streams and counts the body (never stores it), and turns whatever
 * happens (a status, a timeout, a refused or dropped connection, a body over the limit)
 * into a {@link UrlResult}. Every response entity is consumed or discarded.
 */
public final class HttpFetcher {
  private final ActorSystem<?> system;
  private final Http http;
  private final Materializer materializer;
  private final ConnectionPoolSettings poolSettings;
  private final HostGate gate;
  private final long maxBodyBytes;

  public HttpFetcher(ActorSystem<?> system, Settings.Fetch settings) {
    this.system = system;
    this.http = Http.get(system);
    this.materializer = Materializer.matFromSystem(system);
    this.gate = new HostGate(settings.perHostConcurrency());
    this.maxBodyBytes = settings.maxBodyBytes();
    // One settings object for every request, so each host gets exactly one pool. The gate
    // keeps in-flight requests per host at or below max-connections, so the pool's queue
    // (max-open-requests, a power of two) never overflows; the headroom absorbs requests
    // abandoned after a timeout that still hold a connection while they drain.
    this.poolSettings = ConnectionPoolSettings.create(system.classicSystem())
        .withMaxConnections(settings.perHostConcurrency())
        .withMaxOpenRequests(nextPowerOfTwo(settings.perHostConcurrency() * 4))
        .withMaxRetries(0);
  }

  public HostGate gate() {
    return gate;
  }

  /** Starts fetching {@code url}; the timeout runs from the request being sent. */
  public Fetch fetch(String url, Duration timeout) {
    Fetch f = new Fetch(url, timeout);
    f.start();
    return f;
  }

  /** One fetch in progress. {@link #cancel()} abandons it and frees its connection. */
  public final class Fetch {
    private static final int WAITING = 0;
    private static final int HOLDING = 1;
    private static final int RELEASED = 2;

    private final String url;
    private final Duration timeout;
    private final CompletableFuture<UrlResult> result = new CompletableFuture<>();
    private final AtomicInteger permitState = new AtomicInteger(WAITING);
    private String hostKey;
    private CompletableFuture<Void> permit;
    private volatile Cancellable timer;
    private volatile UniqueKillSwitch bodySwitch;
    private long sentAtNanos;

    private Fetch(String url, Duration timeout) {
      this.url = url;
      this.timeout = timeout;
    }

    public CompletionStage<UrlResult> result() {
      return result;
    }

    public void cancel() {
      finish(UrlResult.cancelled());
    }

    private void start() {
      try {
        hostKey = hostKey(url);
      } catch (IllegalArgumentException e) {
        finish(failed(null, 0, 0, "invalid URL: " + e.getMessage()));
        return;
      }
      permit = gate.acquire(hostKey);
      permit.thenRun(this::send);
    }

    private void send() {
      if (!permitState.compareAndSet(WAITING, HOLDING)) {
        gate.release(hostKey); // finished (cancelled) while waiting for the permit
        return;
      }
      sentAtNanos = System.nanoTime();
      timer = system.scheduler().scheduleOnce(timeout,
          () -> finish(failed(null, 0, elapsedMs(), "timeout after " + timeout.toMillis() + " ms")),
          system.executionContext());
      HttpRequest request;
      try {
        request = HttpRequest.GET(url);
      } catch (RuntimeException e) {
        finish(failed(null, 0, 0, "invalid URL: " + e.getMessage()));
        return;
      }
      Stages.plain(http.singleRequest(request, http.defaultClientHttpsContext(), poolSettings,
              system.classicSystem().log()))
          .whenComplete((response, error) -> {
            if (error != null) {
              finish(failed(null, 0, elapsedMs(), describe(error)));
            } else {
              readBody(response);
            }
          });
    }

    private void readBody(HttpResponse response) {
      int status = response.status().intValue();
      if (result.isDone()) {
        response.discardEntityBytes(materializer); // abandoned: drain so the connection is freed
        return;
      }
      long[] bytes = {0};
      var pair = response.entity().withoutSizeLimit().getDataBytes()
          .viaMat(KillSwitches.single(), Keep.right())
          .toMat(Sink.foreach(chunk -> {
            bytes[0] += chunk.size();
            if (bytes[0] > maxBodyBytes) throw new BodyTooLarge(maxBodyBytes);
          }), Keep.both())
          .run(materializer);
      bodySwitch = pair.first();
      if (result.isDone()) bodySwitch.abort(new CancellationException("abandoned"));
      Stages.plain(pair.second()).whenComplete((done, error) -> {
        long latency = elapsedMs();
        if (error != null) {
          finish(failed(status, bytes[0], latency, describe(error)));
        } else if (status >= 200 && status < 300) {
          finish(new UrlResult(UrlState.SUCCEEDED, status, bytes[0], latency, 1, null));
        } else {
          finish(failed(status, bytes[0], latency,
              "HTTP " + status + " " + response.status().reason()));
        }
      });
    }

    private void finish(UrlResult outcome) {
      if (!result.complete(outcome)) return;
      Cancellable t = timer;
      if (t != null) t.cancel();
      UniqueKillSwitch s = bodySwitch;
      if (s != null) s.abort(new CancellationException("fetch finished"));
      int before = permitState.getAndSet(RELEASED);
      if (before == HOLDING) {
        gate.release(hostKey);
      } else if (before == WAITING && permit != null) {
        permit.cancel(false); // if it completed meanwhile, send() sees RELEASED and returns it
      }
    }

    private long elapsedMs() {
      return (System.nanoTime() - sentAtNanos) / 1_000_000;
    }
  }

  private static UrlResult failed(Integer status, long bytes, long latencyMs, String error) {
    return new UrlResult(UrlState.FAILED, status, bytes, latencyMs, 1, error);
  }

  static String hostKey(String url) {
    URI uri = URI.create(url);
    if (uri.getHost() == null) throw new IllegalArgumentException("no host in " + url);
    int port = uri.getPort();
    if (port < 0) port = "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    return uri.getHost().toLowerCase() + ":" + port;
  }

  static String describe(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e.getCause() instanceof java.net.ConnectException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof BodyTooLarge) return e.getMessage();
    if (e instanceof java.net.ConnectException) return "connection refused";
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  static int nextPowerOfTwo(int n) {
    int p = 1;
    while (p < n) p <<= 1;
    return p;
  }

  /** The body grew past fetchrunner.fetch.max-body-bytes; the connection is closed. */
  static final class BodyTooLarge extends RuntimeException {
    BodyTooLarge(long limit) {
      super("body larger than " + limit + " bytes (fetchrunner.fetch.max-body-bytes)");
    }
  }
}
