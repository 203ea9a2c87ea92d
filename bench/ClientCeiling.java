/*
 * ClientCeiling: how many requests a second Pekko HTTP's client alone makes on this machine,
 * against bench/BenchTarget.java, with nothing persisted and no actors of ours: the ceiling of
 * the stack fetchrunner runs on (docs/BENCHMARKS.md). Two ways of using the client, each
 * with a warm-up round (round 0) first:
 *   single  Http.singleRequest per request (what the service does), `concurrency` chains:
 *           each response's completion sends the chain's next request
 *   flow    a stream of requests through one host connection pool flow
 *           (Http.cachedHostConnectionPool), which keeps up to `concurrency` requests open
 * Every response body is read to the end. Prints one line per round: wall, requests a second,
 * this process's CPU per request (all threads), and failures.
 *
 * Run from the repository root with the test classpath (bench/client-ceiling.sh does):
 *   java -cp "$cp" [-Dmodes=single,flow] bench/ClientCeiling.java <targetPort> <requests>
 *       <concurrency> <rounds> [delayMs (0)] [bodyBytes (1024)]
 */

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectHttp;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

public class ClientCeiling {
  static final java.util.concurrent.Executor SAME_THREAD = Runnable::run;
  static int port;
  static int delayMs;
  static int size;
  static ActorSystem system;
  static Http http;
  static Materializer mat;

  public static void main(String[] args) throws Exception {
    port = Integer.parseInt(args[0]);
    int n = Integer.parseInt(args[1]);
    int concurrency = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    delayMs = args.length > 4 ? Integer.parseInt(args[4]) : 0;
    size = args.length > 5 ? Integer.parseInt(args[5]) : 1024;
    system = ActorSystem.create("ceiling");
    http = Http.get(system);
    mat = Materializer.matFromSystem(system);
    ConnectionPoolSettings pool = ConnectionPoolSettings.create(system)
        .withMaxConnections(concurrency)
        .withMaxOpenRequests(Integer.highestOneBit(concurrency * 4 - 1) << 1)
        .withMaxRetries(0);
    try {
      for (String mode : System.getProperty("modes", "single,flow").split(",")) {
        for (int r = 0; r <= rounds; r++) {
          long t0 = System.nanoTime();
          long cpu0 = cpuNanos();
          int failed = mode.equals("single") ? single(n, concurrency, pool) : flow(n, pool);
          long ms = (System.nanoTime() - t0) / 1_000_000;
          long cpuUs = (cpuNanos() - cpu0) / 1_000;
          System.out.printf("%s %s: %d requests in %d ms = %d req/s, cpuUs/req=%.1f, failed=%d%n",
              mode, r == 0 ? "warm-up" : "round " + r, n, ms, n * 1000L / Math.max(1, ms),
              (double) cpuUs / n, failed);
        }
      }
    } finally {
      http.shutdownAllConnectionPools().toCompletableFuture().get(10, TimeUnit.SECONDS);
      system.terminate();
    }
  }

  static HttpRequest request(int i) {
    return HttpRequest.create("http://127.0.0.1:" + port + "/delay/" + delayMs + "?size=" + size
        + "&i=" + i);
  }

  /** singleRequest, `concurrency` chains; returns the number of failed requests. */
  static int single(int n, int concurrency, ConnectionPoolSettings pool) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    CompletableFuture<Void> all = new CompletableFuture<>();
    Runnable[] chain = new Runnable[1];
    chain[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= n) return;
      // The ...Async forms with an executor that runs in place: the plain forms of the futures
      // Pekko returns run on the JDK's default executor, a new thread per callback on 2 cores
      // (what io.fetchrunner.Stages avoids in the service).
      http.singleRequest(request(i), http.defaultClientHttpsContext(), pool, system.log())
          .thenComposeAsync(resp -> {
            if (resp.status().intValue() != 200) failed.incrementAndGet(); // counted as failed
            return resp.entity().toStrict(10_000, mat);
          }, SAME_THREAD)
          .whenCompleteAsync((body, error) -> {
            if (error != null) failed.incrementAndGet();
            if (done.incrementAndGet() == n) all.complete(null);
            else chain[0].run();
          }, SAME_THREAD);
    };
    for (int c = 0; c < concurrency; c++) chain[0].run();
    all.get(5, TimeUnit.MINUTES);
    return failed.get();
  }

  /** One host connection pool flow; returns the number of failed requests. */
  static int flow(int n, ConnectionPoolSettings pool) throws Exception {
    AtomicLong failed = new AtomicLong();
    Source.range(1, n)
        .map(i -> Pair.create(request(i), i))
        // cachedHostConnectionPool: the javadsl's newHostConnectionPool(ConnectHttp, settings,
        // log, mat) speaks TLS even to an http:// host (pekko-http 1.3.0), and hangs here.
        .via(http.<Integer>cachedHostConnectionPool(ConnectHttp.toHost("127.0.0.1", port), pool,
            system.log()))
        .take(n) // done after n responses, whenever the pool flow itself completes
        .mapAsyncUnordered(64, pair -> {
          if (pair.first().isFailure()) {
            failed.incrementAndGet();
            return CompletableFuture.completedFuture(0);
          }
          HttpResponse resp = pair.first().get();
          if (resp.status().intValue() != 200) failed.incrementAndGet();
          return resp.entity().toStrict(10_000, mat).thenApplyAsync(s -> 1, SAME_THREAD);
        })
        .runWith(Sink.ignore(), mat)
        .toCompletableFuture().get(5, TimeUnit.MINUTES);
    return (int) failed.get();
  }

  static long cpuNanos() {
    var bean = (com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return bean.getProcessCpuTime();
  }
}
