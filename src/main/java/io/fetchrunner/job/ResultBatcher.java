package io.fetchrunner.job;

import io.fetchrunner.fetch.ErrorKind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Collects URL results from a job's workers and hands them to the job in batches, one batch
 * at a time: the next batch leaves only after the job acknowledges that the previous one is
 * persisted. Thousands of workers finishing together therefore queue here (an ordinary
 * mailbox), never in the job's persistence stash, and the job writes them with few
 * {@code persistAll} calls. While a batch is being written the next one grows, so the batch
 * size adapts to the store's speed with no timer.
 */
public final class ResultBatcher {
  public sealed interface Command permits Add, Recorded, Track, WorkerGone {}

  /** One worker's result. */
  public record Add(int index, UrlResult result) implements Command {}

  /** Watch this worker: if it stops without a result, its URL fails ("worker stopped"). */
  public record Track(int index, ActorRef<?> worker) implements Command {}

  private record WorkerGone(int index) implements Command {}

  /** The job persisted the batch it was given. */
  public record Recorded() implements Command {}

  public static Behavior<Command> create(ActorRef<Job.Command> job, int urls, int maxBatch) {
    return Behaviors.setup(ctx -> new ResultBatcher(ctx, job, urls, maxBatch).idle);
  }

  private final ActorContext<Command> ctx;
  private final ActorRef<Job.Command> job;
  private final int maxBatch;
  private final ArrayDeque<Job.Outcome> buffer = new ArrayDeque<>();
  /** URLs whose result came. A worker's result reaches this mailbox before its stop notice. */
  private final BitSet reported;
  /** No batch at the job: a result leaves at once. */
  private final Behavior<Command> idle;
  /** The job is writing a batch: results gather for the next one until it says Recorded. */
  private final Behavior<Command> writing;

  private ResultBatcher(ActorContext<Command> ctx, ActorRef<Job.Command> job, int urls,
      int maxBatch) {
    this.ctx = ctx;
    this.job = job;
    this.maxBatch = maxBatch;
    this.reported = new BitSet(urls);
    this.idle = Behaviors.receive(Command.class)
        .onMessage(Add.class, add -> {
          collect(add);
          return send();
        })
        .onMessage(Track.class, this::track)
        .onMessage(WorkerGone.class, gone -> collect(gone) ? send() : Behaviors.same())
        .onMessage(Recorded.class, ack -> Behaviors.same()) // none is due: nothing was sent
        .build();
    this.writing = Behaviors.receive(Command.class)
        .onMessage(Add.class, add -> {
          collect(add);
          return Behaviors.same();
        })
        .onMessage(Track.class, this::track)
        .onMessage(WorkerGone.class, gone -> {
          collect(gone);
          return Behaviors.same();
        })
        .onMessage(Recorded.class, ack -> send())
        .build();
  }

  private void collect(Add add) {
    reported.set(add.index());
    buffer.add(new Job.Outcome(add.index(), add.result()));
  }

  /** A worker stopped: if it had not reported, its URL fails. True if a result was added. */
  private boolean collect(WorkerGone gone) {
    if (reported.get(gone.index())) return false;
    reported.set(gone.index());
    ctx.getLog().error("the worker of URL {} stopped without a result", gone.index());
    buffer.add(new Job.Outcome(gone.index(), UrlResult.failed(ErrorKind.INTERNAL,
        "internal error: the worker stopped without a result")));
    return true;
  }

  private Behavior<Command> track(Track t) {
    if (!reported.get(t.index())) ctx.watchWith(t.worker(), new WorkerGone(t.index()));
    return Behaviors.same();
  }

  /** The next batch (at most maxBatch results) to the job, if any is waiting. */
  private Behavior<Command> send() {
    if (buffer.isEmpty()) return idle;
    int n = Math.min(maxBatch, buffer.size());
    List<Job.Outcome> batch = new ArrayList<>(n);
    for (int i = 0; i < n; i++) batch.add(buffer.poll());
    job.tell(new Job.RecordResults(batch, ctx.getSelf()));
    return writing;
  }
}
