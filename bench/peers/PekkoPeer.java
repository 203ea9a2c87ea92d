/*
 * PekkoPeer: the bare Pekko HTTP client as a reference client of bench/run.sh --peers: what
 * fetchrunner's own HTTP stack does with nothing persisted and no actors of ours. Fetches every
 * URL of a file (one per line) as `concurrency` chains of Http.singleRequest (each response's
 * completion sends the chain's next request; one host connection pool with `concurrency`
 * connections), reads each body to the end (toStrict, its cheapest way), and prints
 *   wall_ms=... cpu_ms=... rss_mib=... ok=... failed=...
 * The JVM is warmed first by one untimed pass over the same URLs (fetchrunner is measured
 * warm too); wall and CPU are those of the timed pass, RSS the process's peak (VmHWM).
 * Run from the repository root with the test classpath, in the service's JVM defaults:
 *   java -cp "$cp" bench/peers/PekkoPeer.java URLFILE CONCURRENCY
 */

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.Materializer;

public class PekkoPeer {
  static final java.util.concurrent.Executor SAME_THREAD = Runnable::run;

  public static void main(String[] args) throws Exception {
    List<String> urls = Files.readAllLines(Path.of(args[0])).stream().map(String::strip)
        .filter(s -> !s.isEmpty()).toList();
    int concurrency = Integer.parseInt(args[1]);
    ActorSystem system = ActorSystem.create("peer",
        com.typesafe.config.ConfigFactory.parseString("pekko.loglevel = WARNING")
            .withFallback(com.typesafe.config.ConfigFactory.load()));
    Http http = Http.get(system);
    Materializer mat = Materializer.matFromSystem(system);
    ConnectionPoolSettings pool = ConnectionPoolSettings.create(system)
        .withMaxConnections(concurrency)
        .withMaxOpenRequests(Integer.highestOneBit(concurrency * 4 - 1) << 1)
        .withMaxRetries(0);
    try {
      run(http, mat, system, pool, urls, concurrency); // warm-up, untimed
      long t0 = System.nanoTime();
      long cpu0 = cpuNanos();
      int[] counts = run(http, mat, system, pool, urls, concurrency);
      double wallMs = (System.nanoTime() - t0) / 1e6;
      double cpuMs = (cpuNanos() - cpu0) / 1e6;
      System.out.printf("wall_ms=%.1f cpu_ms=%.1f rss_mib=%.1f ok=%d failed=%d%n", wallMs, cpuMs,
          peakRssKiB() / 1024.0, counts[0], counts[1]);
    } finally {
      http.shutdownAllConnectionPools().toCompletableFuture().get(10, TimeUnit.SECONDS);
      system.terminate();
    }
  }

  /** One pass over the URLs; {ok, failed}. */
  static int[] run(Http http, Materializer mat, ActorSystem system, ConnectionPoolSettings pool,
      List<String> urls, int concurrency) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    CompletableFuture<Void> all = new CompletableFuture<>();
    int n = urls.size();
    Runnable[] chain = new Runnable[1];
    chain[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= n) return;
      http.singleRequest(HttpRequest.create(urls.get(i)), http.defaultClientHttpsContext(), pool,
              system.log())
          .thenComposeAsync(resp -> {
            boolean success = resp.status().intValue() / 100 == 2;
            return resp.entity().toStrict(60_000, mat)
                .thenApplyAsync(d -> success, SAME_THREAD);
          }, SAME_THREAD)
          .whenCompleteAsync((success, error) -> {
            if (error == null && success) ok.incrementAndGet();
            else failed.incrementAndGet();
            if (done.incrementAndGet() == n) all.complete(null);
            else chain[0].run();
          }, SAME_THREAD);
    };
    for (int c = 0; c < Math.min(concurrency, n); c++) chain[0].run();
    all.get(10, TimeUnit.MINUTES);
    return new int[] {ok.get(), failed.get()};
  }

  static long cpuNanos() {
    var bean = (com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return bean.getProcessCpuTime();
  }

  static long peakRssKiB() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    return -1;
  }
}
