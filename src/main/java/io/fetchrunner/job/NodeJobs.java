package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per node, found through the receptionist: tells any node of the cluster how many jobs
 * run on this one (GET /cluster).
 */
public final class NodeJobs {
  private NodeJobs() {}

  public static final ServiceKey<Count> KEY = ServiceKey.create(Count.class, "node-jobs");

  /** How many jobs run on this node now. */
  public record Count(ActorRef<Counted> replyTo) implements CborSerializable {}

  /** {@code address}: the node's cluster address. */
  public record Counted(String address, int running) implements CborSerializable {}

  public static Behavior<Count> create(RunningJobs running) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      String address = ctx.getSystem().address().toString();
      return Behaviors.receiveMessage(count -> {
        count.replyTo().tell(new Counted(address, running.size()));
        return Behaviors.same();
      });
    });
  }
}
