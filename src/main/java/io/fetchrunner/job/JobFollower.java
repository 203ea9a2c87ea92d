package io.fetchrunner.job;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Stands between a job and one event stream: passes the job's updates on to
 * {@code downstream}, watches the job (a job whose node dies sends nothing more: the stream is
 * told {@link JobFeed.Stopped}), and stops at the end, or when the stream tells it
 * {@link JobFeed.Unfollowed}.
 */
public final class JobFollower {
  private JobFollower() {}

  public static Behavior<JobFeed.Update> create(ActorRef<JobFeed.Update> downstream) {
    return Behaviors.receive((ctx, update) -> {
      if (update instanceof JobFeed.Following f) {
        ctx.watchWith(f.job(), new JobFeed.Stopped());
      }
      if (update instanceof JobFeed.Unfollowed) return Behaviors.stopped();
      downstream.tell(update);
      boolean last = update instanceof JobFeed.Ended || update instanceof JobFeed.Stopped
          || update instanceof JobFeed.NoSuchJob;
      return last ? Behaviors.stopped() : Behaviors.same();
    });
  }
}
