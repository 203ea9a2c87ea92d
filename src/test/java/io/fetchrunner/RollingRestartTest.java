package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling restart of three nodes (SIGTERM each in turn, start it again) while a job runs:
 * the job completes with every URL recorded once, and the API keeps answering on the nodes
 * that are not stopping; the one stopping answers 503 with Retry-After until it is gone.
 */
class RollingRestartTest {

  @Test
  void aJobSurvivesARollingRestartOfEveryNode(@TempDir Path base) throws Exception {
    try (TargetServer target = new TargetServer();
        TestCluster cluster = TestCluster.start("rolling", 3, base)) {
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 3000; i++) urls.add(target.url("/delay/100?r=" + i));
      String id = cluster.api(0).submit(Map.of("name", "rolling", "urls", urls,
          "concurrency", 10));

      for (int stopping = 0; stopping < 3; stopping++) {
        int s = stopping;
        var failures = new ConcurrentLinkedQueue<String>();
        var answered = new AtomicInteger();
        var done = new AtomicBoolean();
        // Every node but the one stopping is asked for the job all along.
        List<Thread> pollers = new ArrayList<>();
        for (int other = 0; other < 3; other++) {
          if (other == s) continue;
          Api api = cluster.api(other);
          int o = other;
          Thread t = new Thread(() -> {
            while (!done.get()) {
              try {
                var r = api.get("/jobs/" + id + "?results=false");
                if (r.status() == 200) {
                  answered.incrementAndGet();
                } else {
                  failures.add("node " + o + ": " + r);
                }
              } catch (RuntimeException e) {
                failures.add("node " + o + ": " + e);
              }
              Api.sleep(100);
            }
          });
          t.start();
          pollers.add(t);
        }
        Api stoppingApi = cluster.api(s);
        Thread stopper = new Thread(() -> cluster.terminate(s));
        stopper.start();
        // The node stopping answers 503 with Retry-After, until it no longer listens.
        boolean saw503 = false;
        while (stopper.isAlive()) {
          try {
            var r = stoppingApi.get("/jobs/" + id + "?results=false");
            if (r.status() == 503) {
              saw503 = true;
              assertTrue(r.body().get("title").asText().contains("Shutting down"), r::toString);
            }
          } catch (RuntimeException refused) {
            // gone
          }
          Api.sleep(50);
        }
        stopper.join();
        cluster.startNode(s);
        cluster.awaitMembersUp(3, Duration.ofSeconds(60));
        done.set(true);
        for (Thread t : pollers) t.join();
        System.out.printf("rolling restart: node %d restarted; %d answers from the others,"
            + " 503 seen while stopping: %b, job at %s%n", s, answered.get(), saw503,
            cluster.api(0).get("/jobs/" + id + "?results=false").body().get("succeeded"));
        assertTrue(failures.isEmpty(), () -> "the other nodes did not answer: " + failures);
        assertTrue(answered.get() > 0);
      }

      JsonNode job = cluster.api(1).awaitFinished(id, Duration.ofSeconds(180));
      assertEquals("COMPLETED", job.get("state").asText(), job::toString);
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < 3000; i++) paths.add("/delay/100?r=" + i);
      int fetchedTwice = TestCluster.recordedOnce(job, target, paths);
      System.out.printf("rolling restart: %d resumes, %d refetched, %d URLs fetched twice%n",
          job.get("resumes").asInt(), job.get("refetched").asInt(), fetchedTwice);
      assertTrue(fetchedTwice <= job.get("refetched").asInt(),
          fetchedTwice + " fetched twice, " + job.get("refetched") + " counted as refetched");
    }
  }
}
