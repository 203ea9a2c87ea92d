package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A finished job does not stay in memory (it holds every URL and result) once nobody asks
 * about it, and is answered in full again from the store afterwards.
 */
class UnloadTest {

  @Test
  void aFinishedJobLeavesMemoryAndIsStillAnsweredInFull(@TempDir Path dataDir) throws Exception {
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir,
             "fetchrunner.jobs.idle-unload-after = 2s")) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("urls",
          List.of(target.url("/delay/0?unload=1"), target.url("/status/404?unload=2"))));
      JsonNode finished = api.awaitFinished(id, Duration.ofSeconds(30)); // asks the job itself
      assertTrue(loaded(service, id), "the job that just answered is in memory");

      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (loaded(service, id) && System.nanoTime() < deadline) Api.sleep(200);
      assertFalse(loaded(service, id), "a finished job left alone leaves memory");

      JsonNode again = api.get("/jobs/" + id).body();
      assertEquals(finished.get("results"), again.get("results"));
      assertEquals(finished.get("succeeded"), again.get("succeeded"));
      assertEquals(finished.get("failed"), again.get("failed"));
      assertEquals(finished.get("wallMs"), again.get("wallMs"));
      assertTrue(loaded(service, id), "asking about it loads it again");
    }
  }

  /** Whether the job's entity is alive in this node's shard region. */
  private static boolean loaded(FetchRunner service, String id) throws Exception {
    var system = service.system();
    ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery,
            ShardRegion.CurrentShardRegionState>ask(
            ClusterSharding.get(system).shardState(),
            replyTo -> new GetShardRegionState(Job.TYPE_KEY, replyTo),
            Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return state.getShards().stream().anyMatch(s -> s.getEntityIds().contains(id));
  }
}
