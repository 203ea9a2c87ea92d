import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;

/**
 * What one Pekko HTTP host connection pool costs in heap before it opens any connection, by
 * its max-connections and max-open-requests (docs/BENCHMARKS.md, "Pool memory"; the reason
 * for io.fetchrunner.fetch.PoolTiers). Starts 200 pools, each with one request to a closed
 * port on 127.0.0.1 (refused at once: the pool is materialised, nothing is fetched), and
 * prints the live heap they add. Usage, after `mvn -q package -DskipTests` and
 * `mvn -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath`:
 *   java -Xmx2g -XX:+UseParallelGC -cp "target/classes:$(cat target/bench.classpath)" \
 *     bench/PoolMemory.java MAX_CONNECTIONS MAX_OPEN_REQUESTS
 */
public class PoolMemory {
  public static void main(String[] a) throws Exception {
    int maxConnections = Integer.parseInt(a[0]);
    int maxOpen = Integer.parseInt(a[1]);
    int pools = 200;
    ActorSystem system = ActorSystem.create("pool-memory");
    Http http = Http.get(system);
    var settings = ConnectionPoolSettings.create(system).withMaxConnections(maxConnections)
        .withMaxOpenRequests(maxOpen).withMaxRetries(0);
    long before = liveHeap();
    List<CompletableFuture<?>> replies = new ArrayList<>();
    for (int i = 0; i < pools; i++) { // a port per pool: 30000 to 30199, nothing listening
      replies.add(http.singleRequest(HttpRequest.create("http://127.0.0.1:" + (30000 + i) + "/"),
          http.defaultClientHttpsContext(), settings, system.log()).toCompletableFuture()
          .handle((r, e) -> null));
    }
    for (var r : replies) r.get(30, TimeUnit.SECONDS);
    long after = liveHeap();
    System.out.printf("max-connections %d, max-open-requests %d: %d pools, %.1f MB, %.0f KB"
        + " per pool%n", maxConnections, maxOpen, pools, (after - before) / 1e6,
        (after - before) / 1e3 / pools);
    system.terminate();
  }

  static long liveHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }
}
