package io.fetchrunner.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.Stages;
import io.fetchrunner.job.NodeJobs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /cluster}: the nodes of the cluster as this node sees them, each with its status,
 * whether it is reachable, and how many jobs run on it (asked of the node itself; null when it
 * did not answer within {@link #ASK_TIMEOUT}).
 */
public final class ClusterRoutes extends AllDirectives {
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(2);

  private final ActorSystem<?> system;

  public ClusterRoutes(ActorSystem<?> system) {
    this.system = system;
  }

  public Route routes() {
    return path("cluster", () -> get(() -> parameterMultiMap(given -> {
      QueryParameters.only(given, Set.of());
      return completeWithFuture(view().thenApply(body -> Json.response(200, body)));
    })));
  }

  /** This node's view of the cluster in a few figures (GET /health). */
  static ObjectNode summary(ActorSystem<?> system) {
    var state = Cluster.get(system).state();
    var unreachable = state.getUnreachable();
    int up = 0;
    int members = 0;
    for (Member m : state.getMembers()) {
      members++;
      if (m.status() == MemberStatus.up() && !unreachable.contains(m)) up++;
    }
    ObjectNode node = Json.mapper().createObjectNode();
    node.put("self", Cluster.get(system).selfMember().address().toString());
    node.put("status", statusName(Cluster.get(system).selfMember().status()));
    node.put("members", members);
    node.put("membersUp", up);
    node.put("unreachable", unreachable.size());
    return node;
  }

  private CompletionStage<ObjectNode> view() {
    return runningJobsByNode().thenApply(running -> {
      var cluster = Cluster.get(system);
      var state = cluster.state();
      Set<Member> unreachable = state.getUnreachable();
      ObjectNode body = summary(system);
      body.put("leader", state.getLeader() == null ? null : state.getLeader().toString());
      var members = body.putArray("nodes");
      for (Member m : state.getMembers()) {
        String address = m.address().toString();
        ObjectNode node = members.addObject();
        node.put("address", address);
        node.put("status", statusName(m.status()));
        node.put("reachable", !unreachable.contains(m));
        node.put("self", m.equals(cluster.selfMember()));
        if (running.containsKey(address)) {
          node.put("runningJobs", running.get(address));
        } else {
          node.putNull("runningJobs");
        }
      }
      return body;
    });
  }

  /** Running jobs per node address, from each node's {@link NodeJobs}; nodes that answer. */
  private CompletionStage<Map<String, Integer>> runningJobsByNode() {
    CompletionStage<Receptionist.Listing> listing = Stages.plain(AskPattern.ask(
        system.receptionist(),
        (ActorRef<Receptionist.Listing> replyTo) -> Receptionist.find(NodeJobs.KEY, replyTo),
        ASK_TIMEOUT, system.scheduler()));
    return listing.thenCompose(found -> {
      List<CompletableFuture<NodeJobs.Counted>> answers = new ArrayList<>();
      for (ActorRef<NodeJobs.Count> node : found.getServiceInstances(NodeJobs.KEY)) {
        answers.add(Stages.plain(AskPattern.<NodeJobs.Count, NodeJobs.Counted>ask(node,
                NodeJobs.Count::new, ASK_TIMEOUT, system.scheduler()))
            .exceptionally(e -> null));
      }
      return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
          .thenApply(v -> {
            Map<String, Integer> running = new HashMap<>();
            for (var answer : answers) {
              NodeJobs.Counted counted = answer.join();
              if (counted != null) running.put(counted.address(), counted.running());
            }
            return running;
          });
    }).exceptionally(e -> Map.of());
  }

  private static String statusName(MemberStatus status) {
    return status.toString().replace("$", "").toUpperCase(Locale.ROOT);
  }
}
