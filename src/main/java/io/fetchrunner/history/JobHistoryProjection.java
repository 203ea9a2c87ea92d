package io.fetchrunner.history;

import io.fetchrunner.CborSerializable;
import io.fetchrunner.Settings;
import io.fetchrunner.Stages;
import io.fetchrunner.job.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Keeps the read side up to date: follows the journal's job events ({@code eventsByTag}) from
 * the offset stored with the rows, and writes each batch of events with its offset in one
 * transaction ({@link HistoryWriter#apply}). Runs once per cluster (a cluster singleton). A
 * failed write restarts the stream after {@code retry-after}, from the last committed offset.
 *
 * <p>Events are batched only while the previous write is in progress ({@code batch}, not
 * {@code groupedWithin}), so a quiet system applies each event as soon as it is read.
 */
public final class JobHistoryProjection {

  public sealed interface Command extends CborSerializable
      permits Rebuild, StreamEnded, ResetDone, Restart, PoisonChecked {}

  /** Empty the read side and replay the whole journal into it. */
  public record Rebuild(ActorRef<RebuildStarted> replyTo) implements Command {}

  /** The read side was emptied; it is being rebuilt from the start of the journal. */
  public record RebuildStarted() implements CborSerializable {}

  private record StreamEnded(Throwable failure) implements Command {}

  private record ResetDone(Throwable failure) implements Command {}

  private record Restart() implements Command {}

  /** After a failure: whether the next event was unreadable and has been stepped over. */
  private record PoisonChecked(boolean skipped) implements Command {}

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(JobHistoryProjection.class);

  public static Behavior<Command> create(HistoryWriter writer, Settings.History settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new JobHistoryProjection(ctx, timers, writer, settings).running()));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final HistoryWriter writer;
  private final Settings.History settings;
  private final Executor blocking;
  private final JdbcReadJournal journal;
  private UniqueKillSwitch stream;
  /** A look for an unreadable event is in progress (it may write; a rebuild waits for it). */
  private boolean checking;

  private JobHistoryProjection(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      HistoryWriter writer, Settings.History settings) {
    this.ctx = ctx;
    this.timers = timers;
    this.writer = writer;
    this.settings = settings;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.journal = PersistenceQuery.get(ctx.getSystem())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
  }

  /** Following the journal (or waiting to retry after a failure). */
  private Behavior<Command> running() {
    startStream();
    return following();
  }

  private Behavior<Command> following() {
    return Behaviors.receive(Command.class)
        .onMessage(Rebuild.class, cmd -> {
          timers.cancelAll();
          if (stream == null && !checking) return reset(cmd.replyTo());
          if (stream == null) return stopping(cmd.replyTo());
          stream.shutdown();
          return stopping(cmd.replyTo());
        })
        .onMessage(StreamEnded.class, msg -> {
          stream = null;
          if (msg.failure() == null) {
            timers.startSingleTimer(new Restart(), settings.retryAfter());
          } else {
            ctx.getLog().warn("read side stopped ({}); starting again in {}", msg.failure(),
                settings.retryAfter());
            checkForPoison();
          }
          return Behaviors.same();
        })
        .onMessage(PoisonChecked.class, msg -> {
          checking = false;
          if (stream == null) {
            if (msg.skipped()) {
              ctx.getSelf().tell(new Restart());
            } else {
              timers.startSingleTimer(new Restart(), settings.retryAfter());
            }
          }
          return Behaviors.same();
        })
        .onMessage(Restart.class, msg -> {
          if (stream == null) startStream();
          return Behaviors.same();
        })
        .onMessage(ResetDone.class, msg -> Behaviors.same())
        .onSignal(PostStop.class, sig -> {
          if (stream != null) stream.shutdown();
          return Behaviors.same();
        })
        .build();
  }

  /**
   * Waiting for the stream to finish its current write (or for a look for an unreadable
   * event to finish) before emptying the tables.
   */
  private Behavior<Command> stopping(ActorRef<RebuildStarted> replyTo) {
    return Behaviors.receive(Command.class)
        .onMessage(StreamEnded.class, msg -> {
          stream = null;
          return checking ? Behaviors.same() : reset(replyTo);
        })
        .onMessage(Rebuild.class, cmd -> {
          cmd.replyTo().tell(new RebuildStarted()); // one rebuild serves both
          return Behaviors.same();
        })
        .onMessage(Restart.class, msg -> Behaviors.same())
        .onMessage(ResetDone.class, msg -> Behaviors.same())
        .onMessage(PoisonChecked.class, msg -> {
          checking = false;
          return stream == null ? reset(replyTo) : Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> reset(ActorRef<RebuildStarted> replyTo) {
    ctx.pipeToSelf(CompletableFuture.runAsync(() -> {
      try {
        writer.reset();
      } catch (java.sql.SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking), (ok, error) -> new ResetDone(error));
    return Behaviors.receive(Command.class)
        .onMessage(ResetDone.class, msg -> {
          if (msg.failure() != null) {
            ctx.getLog().error("read side: rebuild failed to empty the tables", msg.failure());
          } else {
            ctx.getLog().info("read side emptied; rebuilding from the start of the journal");
            replyTo.tell(new RebuildStarted());
          }
          startStream();
          return following();
        })
        .onMessage(Rebuild.class, cmd -> {
          cmd.replyTo().tell(new RebuildStarted());
          return Behaviors.same();
        })
        .onMessage(StreamEnded.class, msg -> Behaviors.same())
        .onMessage(Restart.class, msg -> Behaviors.same())
        .onMessage(PoisonChecked.class, msg -> Behaviors.same())
        .build();
  }

  private void startStream() {
    Source<HistoryWriter.Envelope, ?> events = Source.completionStage(
            CompletableFuture.supplyAsync(this::storedOffset, blocking))
        .flatMapConcat(offset -> journal.eventsByTag(Job.TAG, Offset.sequence(offset)))
        .map(JobHistoryProjection::envelope);
    Pair<UniqueKillSwitch, java.util.concurrent.CompletionStage<Done>> running = events
        .viaMat(KillSwitches.single(), Keep.right())
        .batch(settings.maxBatchEvents(), first -> {
          List<HistoryWriter.Envelope> batch = new ArrayList<>();
          batch.add(first);
          return batch;
        }, (batch, next) -> {
          batch.add(next);
          return batch;
        })
        .mapAsync(1, batch -> CompletableFuture.runAsync(() -> write(batch), blocking))
        .toMat(Sink.ignore(), Keep.both())
        .run(ctx.getSystem());
    stream = running.first();
    ctx.pipeToSelf(Stages.plain(running.second()), (done, error) -> new StreamEnded(error));
  }

  /**
   * A stream failure may be an event that can never be read back (corrupt, or written by a
   * version whose classes are gone): retrying would stop the read side at it forever. So the
   * events after the offset are read as stored; if one of them does not deserialize, the
   * readable ones before it are applied, and it is recorded in read_side_skipped and stepped
   * over, in one transaction. Any other failure is retried after {@code retry-after}.
   */
  private void checkForPoison() {
    checking = true;
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(
        ctx.getSystem().classicSystem());
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        List<HistoryWriter.Envelope> readable = new ArrayList<>();
        for (HistoryWriter.StoredEvent e :
            writer.storedEventsAfterOffset(settings.maxBatchEvents())) {
          var decoded = serialization.deserialize(e.payload(), e.serializerId(), e.manifest());
          String error = null;
          if (decoded.isFailure()) {
            error = decoded.failed().get().toString();
          } else if (!(decoded.get() instanceof Job.Event event)) {
            error = "not a job event: " + decoded.get().getClass().getName();
          } else {
            String pid = e.persistenceId();
            readable.add(new HistoryWriter.Envelope(e.ordering(),
                pid.substring(pid.indexOf('|') + 1), event));
            continue;
          }
          boolean skipped = writer.applyAndSkip(readable, e, error);
          if (skipped) {
            log.error("read side: skipped journal event {} ({} #{}), which cannot be read"
                + " back: {} (listed by GET /admin/read-side)", e.ordering(), e.persistenceId(),
                e.sequenceNr(), error);
          }
          return skipped;
        }
        return false;
      } catch (java.sql.SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking), (skipped, error) -> {
      if (error != null) log.warn("read side: looking for an unreadable event failed", error);
      return new PoisonChecked(skipped != null && skipped);
    });
  }

  private long storedOffset() {
    try {
      return writer.offset();
    } catch (java.sql.SQLException e) {
      throw new CompletionException(e);
    }
  }

  private void write(List<HistoryWriter.Envelope> batch) {
    try {
      writer.apply(batch);
    } catch (java.sql.SQLException e) {
      throw new CompletionException(e);
    }
  }

  private static HistoryWriter.Envelope envelope(EventEnvelope env) {
    long ordering = ((Sequence) env.offset()).value();
    String pid = env.persistenceId();
    String jobId = pid.substring(pid.indexOf('|') + 1);
    return new HistoryWriter.Envelope(ordering, jobId, (Job.Event) env.event());
  }
}
