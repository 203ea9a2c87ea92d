package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
      permits Following, Results, Summary, Ended, Stopped, NoSuchJob, Unfollowed {}

  /** The job answered; {@code job} is its actor (the follower watches it). */
  public record Following(ActorRef<Job.Command> job, JobSummary summary) implements Update {}

  /**
   * Results recorded, numbered in recording order from {@code firstNumber}: {@code count}
   * {@code result} events in the text/event-stream format (each one's JSON holds its
   * {@code index} and the fields of a result in GET /jobs/{id}), written once by the job for
   * all its followers, UTF-8.
   */
  public record Results(int firstNumber, int count, byte[] events) implements Update {
    public int lastNumber() {
      return firstNumber + count - 1;
    }
  }

  /** One URL's result, the {@code number}-th recorded by the job. */
  public record Numbered(int number, int index, JobView.Entry entry)
      implements CborSerializable {}

  /** The job's summary, at most every 250 ms while it runs. */
  public record Summary(JobSummary summary) implements Update {}

  /** The results numbered after {@code after}, rendered, in messages of {@link #CHUNK}. */
  static List<Results> chunks(JobState state, int after) {
    return chunks(state, after, state.fetchedCount());
  }

  /** The results numbered after {@code after} up to {@code upTo}, in chunks. */
  static List<Results> chunks(JobState state, int after, int upTo) {
    var mapper = io.fetchrunner.JsonMapper.get();
    List<Results> out = new ArrayList<>();
    for (int from = after; from < upTo; from += CHUNK) {
      List<Numbered> numbered = state.fetched(from, Math.min(CHUNK, upTo - from));
      StringBuilder sb = new StringBuilder(numbered.size() * 420);
      for (Numbered n : numbered) {
        var node = mapper.createObjectNode();
        node.put("index", n.index());
        node.setAll((com.fasterxml.jackson.databind.node.ObjectNode) mapper.valueToTree(n.entry()));
        sb.append("event: result\nid: ").append(n.number()).append("\ndata: ")
            .append(node).append("\n\n");
      }
      out.add(new Results(numbered.get(0).number(), numbered.size(),
          sb.toString().getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  /** The job finished: its final summary; nothing follows. */
  public record Ended(JobSummary summary, int lastNumber) implements Update {}

  /** The job stopped on its node (the node stops, or the job moves): follow it again. */
  public record Stopped() implements Update {}

  public record NoSuchJob() implements Update, CatchUpReply {}

  /** The answer to {@link Job.CatchUp}. */
  public sealed interface CatchUpReply extends CborSerializable permits Page, NoSuchJob {}

  /**
   * A page of a job's recorded results for a stream catching up: the results numbered after
   * the asked number, at most {@link #CATCH_UP_CHUNKS} chunks; {@code next} is the number of
   * the last one in it, {@code more} whether the job had recorded more than that.
   */
  public record Page(JobSummary summary, List<Results> chunks, int next, boolean more)
      implements CatchUpReply {}

  /**
   * Chunks per page of a catch-up: a stream asks for the next page only once it has written
   * this one, so a client that reconnects to a large job is sent its backlog at the pace it
   * reads it (an event stream drops a client that has 32 chunks waiting).
   */
  public static final int CATCH_UP_CHUNKS = 8;

  /** A page of at most {@link #CATCH_UP_CHUNKS} chunks after result number {@code after}. */
  static Page page(JobState state, int after) {
    int upTo = Math.min(state.fetchedCount(), after + CATCH_UP_CHUNKS * CHUNK);
    List<Results> chunks = chunks(state, after, upTo);
    return new Page(state.summary(), chunks, upTo, upTo < state.fetchedCount());
  }

  /** A job's summary, published cluster-wide as it runs and when it ends (GET /events). */
  public record Progress(JobSummary summary) implements CborSerializable {}

  /** The topic every job publishes its {@link Progress} on. */
  public static final String PROGRESS_TOPIC = "job-progress";

  /** The follower's own: its stream ended (the client went away). */
  public record Unfollowed() implements Update {}
}
