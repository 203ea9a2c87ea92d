package io.fetchrunner.support;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
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
 *   <li>{@code /status/{code}}: that status, with a short body
 *   <li>{@code /bytes/{n}}: 200 with an {@code n}-byte body, streamed in chunks
 *   <li>{@code /drop}: headers promising 100,000 bytes, 1,000 bytes, then the connection drops
 * </ul>
 * Any query string is ignored by the server but counted: {@link #hits(String)} tells how many
 * times a path-and-query was requested, so tests can give each URL its own identity.
 */
public final class TargetServer implements AutoCloseable {
  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();

  public TargetServer() {
    system = ActorSystem.create(Behaviors.empty(), "target", ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.loglevel = WARNING
        pekko.http.server.request-timeout = 120s
        pekko.http.server.idle-timeout = 180s
        pekko.http.server.max-connections = 16384
        pekko.http.server.backlog = 4096
        """).withFallback(ConfigFactory.load()));
    try {
      binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(this::handle)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("target server did not start", e);
    }
  }

  public String url(String pathAndQuery) {
    return "http://127.0.0.1:" + port() + pathAndQuery;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** How many requests arrived for this path-and-query (as given to {@link #url}). */
  public int hits(String pathAndQuery) {
    AtomicInteger n = hits.get(pathAndQuery);
    return n == null ? 0 : n.get();
  }

  public int totalHits() {
    return total.get();
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request) {
    var uri = request.getUri();
    String path = uri.path();
    String key = path + uri.rawQueryString().map(q -> "?" + q).orElse("");
    hits.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    total.incrementAndGet();
    request.discardEntityBytes(system);
    String[] parts = path.split("/");
    String kind = parts.length > 1 ? parts[1] : "";
    String arg = parts.length > 2 ? parts[2] : "0";
    switch (kind) {
      case "delay": {
        long ms = Long.parseLong(arg);
        HttpResponse ok = HttpResponse.create().withEntity("ok");
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
        return done(code == 204 || code == 304 ? r : r.withEntity("status " + arg));
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
      default:
        return done(HttpResponse.create().withStatus(404).withEntity("no such endpoint"));
    }
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
    binding.unbind();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort
    }
  }
}
