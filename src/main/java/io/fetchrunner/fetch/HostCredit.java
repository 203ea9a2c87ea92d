package io.fetchrunner.fetch;

import io.fetchrunner.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The coordinator of one host's permits across the cluster (a sharded entity per host key,
 * not persisted): the nodes together never hold more than per-host-concurrency. Each node's
 * {@link HostLeaseClient} reports what it holds and wants; the coordinator grants from what no
 * node holds, shares it fairly (max-min) between the nodes that want, and asks nodes above
 * their share to give permits back when others wait.
 *
 * <p>Safety: only the coordinator raises a node's holding (a grant), and only the node lowers
 * it (a report, after it lowered its own lease). A report that crossed a grant on the way
 * (its {@code seenGrant} is older) does not lower the holding: the node reports again after
 * the grant. So the coordinator's count is never below what a node may use.
 *
 * <p>A coordinator started anew (its node died, or its shard moved) knows nothing: for
 * {@link #RECOVERY} it grants nothing and takes the nodes' reports as they are, since every
 * node reports what it holds every second.
 */
public final class HostCredit {
  private HostCredit() {}

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "host-credit");

  /** How long a new coordinator only listens (a few of the clients' report intervals). */
  static final Duration RECOVERY = Duration.ofMillis(2500);
  /** A coordinator nobody holds or wants permits of for this long stops. */
  static final Duration IDLE = Duration.ofSeconds(30);

  public sealed interface Command extends CborSerializable permits Report, NodeGone, Idle {}

  /**
   * From a node: it holds {@code held} permits (its lease) and would use {@code want};
   * {@code seenGrant} is the number of the last grant it applied, from {@code incarnation}.
   */
  public record Report(String host, ActorRef<Reply> node, int held, int want, long seenGrant,
      String incarnation) implements Command {}

  private record NodeGone(ActorRef<Reply> node) implements Command {}

  private record Idle() implements Command {}

  /** What a node's {@link HostLeaseClient} receives: the coordinators' replies, and its own. */
  public sealed interface Reply extends CborSerializable
      permits Granted, Shrink, HostLeaseClient.Changed, HostLeaseClient.Tick {}

  /** The node may hold {@code lease} permits now (grant number {@code grant}). */
  public record Granted(String host, int lease, long grant, String incarnation)
      implements Reply {}

  /** Others wait: come down to {@code target} as requests end (MAX_VALUE: no longer). */
  public record Shrink(String host, int target) implements Reply {}

  private static final class Node {
    int held;
    int want;
    long grants;
    int shrinkTo = Integer.MAX_VALUE;
  }

  public static Behavior<Command> create(String host, int limit,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return create(host, limit, shard, RECOVERY);
  }

  /** {@code shard} null: not sharded (tests); it stops when idle. */
  static Behavior<Command> create(String host, int limit,
      ActorRef<ClusterSharding.ShardCommand> shard, Duration recovery) {
    return Behaviors.setup(ctx -> new Coordinator(ctx, host, limit, shard, recovery).behavior());
  }

  private static final class Coordinator {
    private final ActorContext<Command> ctx;
    private final String host;
    private final int limit;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final String incarnation = UUID.randomUUID().toString();
    private final long startedNanos = System.nanoTime();
    private final Duration recovery;
    private final Map<ActorRef<Reply>, Node> nodes = new HashMap<>();

    Coordinator(ActorContext<Command> ctx, String host, int limit,
        ActorRef<ClusterSharding.ShardCommand> shard, Duration recovery) {
      this.ctx = ctx;
      this.recovery = recovery;
      this.host = host;
      this.limit = limit;
      this.shard = shard;
      ctx.setReceiveTimeout(IDLE, new Idle());
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Report.class, this::onReport)
          .onMessage(NodeGone.class, gone -> {
            nodes.remove(gone.node());
            allocate();
            return Behaviors.same();
          })
          .onMessage(Idle.class, idle -> {
            boolean unused = nodes.values().stream().allMatch(n -> n.held == 0 && n.want == 0);
            if (unused && shard != null) shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
            return unused && shard == null ? Behaviors.stopped() : Behaviors.same();
          })
          .build();
    }

    private boolean recovering() {
      return System.nanoTime() - startedNanos < recovery.toNanos();
    }

    private Behavior<Command> onReport(Report r) {
      Node n = nodes.get(r.node());
      if (n == null) {
        n = new Node();
        nodes.put(r.node(), n);
        ctx.watchWith(r.node(), new NodeGone(r.node()));
      }
      n.want = Math.min(limit, Math.max(0, r.want()));
      if (!incarnation.equals(r.incarnation())) {
        // Held under an earlier coordinator (or nothing yet): taken as it is, and the node
        // learns this incarnation.
        n.held = r.held();
        r.node().tell(new Granted(host, n.held, n.grants, incarnation));
      } else if (r.seenGrant() == n.grants) {
        n.held = Math.min(n.held, Math.max(0, r.held())); // only the node lowers it
      }
      if (!recovering()) allocate();
      return Behaviors.same();
    }

    /** Grants free permits up to each node's fair share; asks for some back if others wait. */
    private void allocate() {
      Map<ActorRef<Reply>, Integer> fair = fairShares();
      int free = limit - nodes.values().stream().mapToInt(x -> x.held).sum();
      for (var e : nodes.entrySet()) {
        Node n = e.getValue();
        int give = Math.min(free, Math.min(fair.get(e.getKey()), n.want) - n.held);
        if (give > 0) {
          n.held += give;
          n.grants++;
          free -= give;
          e.getKey().tell(new Granted(host, n.held, n.grants, incarnation));
        }
      }
      boolean waiting = nodes.values().stream()
          .anyMatch(n -> n.held < Math.min(n.want, limit) && n.held < fairOf(fair, n));
      for (var e : nodes.entrySet()) {
        Node n = e.getValue();
        int target = waiting && n.held > fair.get(e.getKey())
            ? fair.get(e.getKey()) : Integer.MAX_VALUE;
        if (target != n.shrinkTo) {
          n.shrinkTo = target;
          e.getKey().tell(new Shrink(host, target));
        }
      }
    }

    private int fairOf(Map<ActorRef<Reply>, Integer> fair, Node n) {
      for (var e : nodes.entrySet()) if (e.getValue() == n) return fair.get(e.getKey());
      return 0;
    }

    /** Max-min fair shares of the limit between the nodes, by what each wants. */
    private Map<ActorRef<Reply>, Integer> fairShares() {
      Map<ActorRef<Reply>, Integer> share = new HashMap<>();
      List<Map.Entry<ActorRef<Reply>, Node>> wanting = new ArrayList<>(nodes.entrySet());
      wanting.sort((a, b) -> Integer.compare(a.getValue().want, b.getValue().want));
      int left = limit;
      int count = wanting.size();
      for (var e : wanting) {
        int each = count == 0 ? 0 : left / count;
        int s = Math.min(e.getValue().want, Math.max(each, 0));
        share.put(e.getKey(), s);
        left -= s;
        count--;
      }
      // Whatever integer division left over goes to those who want more, in turn.
      for (var e : wanting) {
        if (left <= 0) break;
        int s = share.get(e.getKey());
        if (s < e.getValue().want) {
          share.put(e.getKey(), s + 1);
          left--;
        }
      }
      return share;
    }
  }
}
