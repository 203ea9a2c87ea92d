package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.support.Api;
import io.fetchrunner.support.TargetServer;
import io.fetchrunner.support.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * per-host-concurrency is the most requests in flight to one host across the cluster: two
 * nodes fetching jobs to one target together never exceed it.
 */
class ClusterHostLimitTest {

  @Test
  void twoNodesTogetherStayWithinTheHostLimit(@TempDir Path base) {
    try (TargetServer target = new TargetServer();
        TestCluster cluster = TestCluster.start("host-limit", 2, base,
            "-Dfetchrunner.fetch.per-host-concurrency=8")) {
      List<String> ids = new ArrayList<>();
      for (int j = 0; j < 6; j++) {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 120; i++) urls.add(target.url("/delay/100?j" + j + "=" + i));
        ids.add(cluster.api(j % 2).submit(Map.of("name", "limited " + j, "urls", urls,
            "concurrency", 8)));
      }
      boolean both = false;
      for (int attempt = 0; attempt < 100 && !both; attempt++) {
        int[] running = cluster.runningJobs(0);
        both = running[0] > 0 && running[1] > 0;
        Api.sleep(100);
      }
      assertTrue(both, "jobs ran on both nodes");
      for (String id : ids) {
        assertEquals("COMPLETED", cluster.api(1).awaitFinished(id, Duration.ofSeconds(180))
            .get("state").asText());
      }
      System.out.printf("host limit across 2 nodes: at most %d requests in flight at the"
          + " target (limit 8)%n", target.peakInFlight());
      assertTrue(target.peakInFlight() <= 8, "the target saw " + target.peakInFlight()
          + " requests at once");
      assertTrue(target.peakInFlight() >= 6, "the nodes used the limit: "
          + target.peakInFlight());
      // Each node logs what the leases cost it (reports per request) every few seconds.
      Api.sleep(6000);
      for (int i = 0; i < 2; i++) {
        cluster.node(i).output().lines().filter(l -> l.contains("host leases:"))
            .reduce((a, b) -> b)
            .ifPresent(l -> System.out.println("node " + l.substring(l.indexOf("host leases:"))));
      }
    }
  }
}
