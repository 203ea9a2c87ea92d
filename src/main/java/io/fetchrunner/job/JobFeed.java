package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a running job tells those who follow it (GET /jobs/{id}/events), wherever they are in
 * the cluster: first {@link Following}, then the results it had recorded after the follower's
 * last one, then each batch as it is stored, and {@link Ended} or {@link Stopped}.
 */
public final class JobFeed {
  private JobFeed() {}

  /** Results per message at most (a remote message must stay well under 256 KiB). */
  public static final int CHUNK = 200;

  public sealed interface Update extends CborSerializable
      permits Following, Results, Ended, Stopped, NoSuchJob, Unfollowed {}

  /** The job answered; {@code job} is its actor (the follower watches it). */
  public record Following(ActorRef<Job.Command> job, JobSummary summary) implements Update {}

  /** Results recorded (numbered in recording order), and the summary after them. */
  public record Results(List<Numbered> results, JobSummary summary) implements Update {}

  /** One URL's result, the {@code number}-th recorded by the job. */
  public record Numbered(int number, int index, JobView.Entry entry)
      implements CborSerializable {}

  /** The job finished: its final summary; nothing follows. */
  public record Ended(JobSummary summary, int lastNumber) implements Update {}

  /** The job stopped on its node (the node stops, or the job moves): follow it again. */
  public record Stopped() implements Update {}

  public record NoSuchJob() implements Update {}

  /** A job's summary, published cluster-wide as it runs and when it ends (GET /events). */
  public record Progress(JobSummary summary) implements CborSerializable {}

  /** The topic every job publishes its {@link Progress} on. */
  public static final String PROGRESS_TOPIC = "job-progress";

  /** The follower's own: its stream ended (the client went away). */
  public record Unfollowed() implements Update {}
}
