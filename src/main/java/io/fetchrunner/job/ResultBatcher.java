package io.fetchrunner.job;

import io.fetchrunner.fetch.ErrorKind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
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
  private ResultBatcher() {}

  public sealed interface Command permits Add, Recorded, Track, WorkerGone {}

  /** One worker's result. */
  public record Add(int index, UrlResult result) implements Command {}

  /** Watch this worker: if it stops without a result, its URL fails ("worker stopped"). */
  public record Track(int index, ActorRef<?> worker) implements Command {}

  private record WorkerGone(int index) implements Command {}

  /** The job persisted the batch it was given. */
  public record Recorded() implements Command {}

  public static Behavior<Command> create(ActorRef<Job.Command> job, int urls, int maxBatch) {
    return Behaviors.setup(ctx -> {
      ArrayDeque<Job.Outcome> buffer = new ArrayDeque<>();
      // A worker's result always reaches this mailbox before the notice of its stop.
      BitSet reported = new BitSet(urls);
      boolean[] awaitingAck = {false};
      Runnable flush = () -> {
        if (awaitingAck[0] || buffer.isEmpty()) return;
        int n = Math.min(maxBatch, buffer.size());
        List<Job.Outcome> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) batch.add(buffer.poll());
        job.tell(new Job.RecordResults(batch, ctx.getSelf()));
        awaitingAck[0] = true;
      };
      return Behaviors.receive(Command.class)
          .onMessage(Add.class, add -> {
            reported.set(add.index());
            buffer.add(new Job.Outcome(add.index(), add.result()));
            flush.run();
            return Behaviors.same();
          })
          .onMessage(Track.class, t -> {
            if (!reported.get(t.index())) ctx.watchWith(t.worker(), new WorkerGone(t.index()));
            return Behaviors.same();
          })
          .onMessage(WorkerGone.class, gone -> {
            if (!reported.get(gone.index())) {
              reported.set(gone.index());
              ctx.getLog().error("the worker of URL {} stopped without a result", gone.index());
              buffer.add(new Job.Outcome(gone.index(),
                  UrlResult.failed(ErrorKind.INTERNAL,
                      "internal error: the worker stopped without a result")));
              flush.run();
            }
            return Behaviors.same();
          })
          .onMessage(Recorded.class, ack -> {
            awaitingAck[0] = false;
            flush.run();
            return Behaviors.same();
          })
          .build();
    });
  }
}
