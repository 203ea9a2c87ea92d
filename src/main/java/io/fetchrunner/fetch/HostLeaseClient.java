package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * One per node in a cluster of several: keeps the node's {@link HostGate} within the permits
 * each host's {@link HostCredit} coordinator leases it. It reports a host when the gate says
 * its lease, use or demand changed, and every {@link #REPORT_EVERY} every host it holds or
 * wants permits of (which also makes up for a lost message, and tells a new coordinator what
 * this node holds). Spare permits go back at that report; when the coordinator says others
 * wait, the gate gives them back as requests end. No message per request otherwise.
 */
public final class HostLeaseClient {
  private HostLeaseClient() {}

  static final Duration REPORT_EVERY = Duration.ofSeconds(1);
  /** How often, at most, the node logs what the leases cost (while they are used). */
  static final Duration LOG_EVERY = Duration.ofSeconds(5);

  /** From the gate: the host's lease, use or demand changed. */
  public record Changed(String host) implements HostCredit.Reply {}

  /** Timer: report every host held or wanted; give back spare permits. */
  public record Tick() implements HostCredit.Reply {}

  private static final class Seen {
    String incarnation;
    long grant;
    int sentHeld = -1;
    int sentWant = -1;
  }

  public static Behavior<HostCredit.Reply> create(HostGate gate, ClusterSharding sharding,
      int perHost) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setLoggerName(HostLeaseClient.class);
      ActorRef<HostCredit.Reply> self = ctx.getSelf();
      gate.useLeases(host -> self.tell(new Changed(host)));
      timers.startTimerWithFixedDelay(new Tick(), REPORT_EVERY);
      return new Client(ctx, gate, sharding, perHost);
    }));
  }

  /** The node's client: what it last told each coordinator, and what it logged of it. */
  private static final class Client extends AbstractBehavior<HostCredit.Reply> {
    private final HostGate gate;
    private final ClusterSharding sharding;
    private final int perHost;
    private final Map<String, Seen> seen = new HashMap<>();
    /** Reports sent since the start. */
    private long reports;
    /** Reports when the cost was last logged, and when. */
    private long loggedReports;
    private long loggedAt = System.nanoTime();

    Client(ActorContext<HostCredit.Reply> ctx, HostGate gate, ClusterSharding sharding,
        int perHost) {
      super(ctx);
      this.gate = gate;
      this.sharding = sharding;
      this.perHost = perHost;
    }

    @Override
    public Receive<HostCredit.Reply> createReceive() {
      return newReceiveBuilder()
          .onMessage(Changed.class, c -> {
            report(c.host(), false);
            return this;
          })
          .onMessage(Tick.class, t -> onTick())
          .onMessage(HostCredit.Granted.class, g -> {
            Seen s = seen.computeIfAbsent(g.host(), h -> new Seen());
            if (!g.incarnation().equals(s.incarnation) || g.grant() >= s.grant) {
              s.incarnation = g.incarnation();
              s.grant = g.grant();
              gate.leaseGranted(g.host(), g.lease());
              // A grant may cross a report: say again what this node holds and wants.
              report(g.host(), false);
            }
            return this;
          })
          .onMessage(HostCredit.Shrink.class, s -> {
            gate.leaseShrink(s.host(), s.target());
            return this;
          })
          .build();
    }

    private Behavior<HostCredit.Reply> onTick() {
      Set<String> hosts = new LinkedHashSet<>(gate.trimLeases());
      hosts.addAll(gate.leasedHosts());
      for (String host : hosts) report(host, true);
      if (reports != loggedReports && System.nanoTime() - loggedAt >= LOG_EVERY.toNanos()) {
        long requests = gate.acquired();
        getContext().getLog().info("host leases: {} reports to the hosts' coordinators for {}"
            + " requests since the start ({} per request)", reports, requests,
            String.format("%.4f", (double) reports / Math.max(1, requests)));
        loggedReports = reports;
        loggedAt = System.nanoTime();
      }
      // Hosts given back in full and forgotten by the gate: forget them here too.
      seen.keySet().removeIf(h -> !hosts.contains(h) && gate.leaseState(h).lease() == 0
          && gate.leaseState(h).waiting() == 0);
      return this;
    }

    private void report(String host, boolean always) {
      if (HostLeaseClient.report(gate, sharding, getContext().getSelf(), perHost, seen, host,
          always)) {
        reports++;
      }
    }
  }

  /** Reports the host to its coordinator; false when nothing changed and it was not due. */
  private static boolean report(HostGate gate, ClusterSharding sharding,
      ActorRef<HostCredit.Reply> self, int perHost, Map<String, Seen> seen, String host,
      boolean always) {
    HostGate.LeaseState state = gate.leaseState(host);
    int want = Math.min(perHost, state.inUse() + state.waiting());
    Seen s = seen.computeIfAbsent(host, h -> new Seen());
    if (!always && state.lease() == s.sentHeld && want == s.sentWant) return false;
    s.sentHeld = state.lease();
    s.sentWant = want;
    sharding.entityRefFor(HostCredit.TYPE_KEY, host).tell(new HostCredit.Report(host, self,
        state.lease(), want, s.grant, s.incarnation));
    return true;
  }
}
