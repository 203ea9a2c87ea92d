import io.fetchrunner.metrics.ServiceMetrics;
import io.fetchrunner.job.*;
import io.fetchrunner.fetch.*;
import java.time.Instant;
import java.util.*;
/**
 * What the instrumentation costs on the hot path (README, "Metrics"): ServiceMetrics.stored per
 * URL result of a stored batch (1,000 results, 10 % failed) and attempted per fetch attempt,
 * in ns and in bytes allocated (the thread's allocation counter), 5 rounds. Usage:
 *   mvn -q compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 *   java -cp target/classes:$(cat target/cp.txt) bench/MetricsCost.java
 */
public class MetricsCost {
  public static void main(String[] a) {
    var m = new ServiceMetrics(10);
    List<Job.Event> batch = new ArrayList<>();
    Instant now = Instant.now();
    for (int i = 0; i < 1000; i++) {
      UrlResult r = i % 10 == 0
          ? new UrlResult(UrlState.FAILED, 404, 10, 5, 1, "HTTP 404", null, null, List.of(), List.of(), "http-status")
          : new UrlResult(UrlState.SUCCEEDED, 200, 10, 5, 1, null, "text/plain", null, List.of(), List.of(), null);
      batch.add(new Job.UrlFetched(i, r, now));
    }
    var ok = new AttemptOutcome(true, 200, 10, 7, null, null, null, null, List.of(), false, null);
    var bean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    for (int round = 0; round < 5; round++) {
      int batches = 20_000;
      long a0 = bean.getThreadAllocatedBytes(tid);
      long t0 = System.nanoTime();
      for (int b = 0; b < batches; b++) m.stored(batch, 1_000_000);
      long t1 = System.nanoTime();
      long a1 = bean.getThreadAllocatedBytes(tid);
      int attempts = 20_000_000;
      for (int i = 0; i < attempts; i++) m.attempted(ok);
      long t2 = System.nanoTime();
      long a2 = bean.getThreadAllocatedBytes(tid);
      System.out.printf("round %d: stored %.1f ns/result, %.3f bytes/result; attempted %.1f ns/attempt, %.3f bytes/attempt%n",
          round, (t1 - t0) / (batches * 1000.0), (a1 - a0) / (batches * 1000.0),
          (t2 - t1) / (double) attempts, (a2 - a1) / (double) attempts);
    }
    m.close();
  }
}
