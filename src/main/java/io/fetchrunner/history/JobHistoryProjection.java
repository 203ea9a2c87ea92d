package io.fetchrunner.history;

import io.fetchrunner.CborSerializable;
import io.fetchrunner.Settings;
import io.fetchrunner.job.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the read side up to date: polls the journal for the job events after the offset
 * stored with the rows, and for those that appeared in the gaps it read past ({@link
 * JournalReader}), and writes each page of events with its offset and gaps in one transaction
 * ({@link HistoryWriter}). Runs once per cluster (a cluster singleton). One step (read a page, write it) runs at a time; a full page is followed by the
 * next at once, otherwise the next poll comes after {@code refresh-interval}. A failed step is
 * tried again after {@code retry-after}, from the last committed offset.
 *
 * <p>An event that cannot be read back (corrupt, or written by a version whose classes are
 * gone) would stop the read side at it forever; it is recorded in read_side_skipped and
 * stepped over instead, in the same transaction as the readable events of its page.
 */
public final class JobHistoryProjection {

  public sealed interface Command extends CborSerializable
      permits Rebuild, Poll, StepDone, ResetDone {}

  /**
   * Empty the read side and replay the whole journal into it. Answered once the tables are
   * empty, or with an error if they could not be emptied (the read side then goes on as it
   * was: emptying is one transaction).
   */
  public record Rebuild(ActorRef<StatusReply<RebuildStarted>> replyTo) implements Command {}

  /** The read side was emptied; it is being rebuilt from the start of the journal. */
  public record RebuildStarted() implements CborSerializable {}

  private record Poll() implements Command {}

  /** A step ended: {@code more} when it found a full page (poll again at once). */
  private record StepDone(boolean more, Throwable failure) implements Command {}

  private record ResetDone(Throwable failure) implements Command {}

  private static final Logger log = LoggerFactory.getLogger(JobHistoryProjection.class);

  public static Behavior<Command> create(HistoryStore store, Settings.History settings) {
    return create(store, settings, new ReadSideLag());
  }

  /** A projection that says in {@code lag} how far behind the journal it is (GET /metrics). */
  public static Behavior<Command> create(HistoryStore store, Settings.History settings,
      ReadSideLag lag) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobHistoryProjection(
        ctx, timers, new HistoryWriter(store),
        new JournalReader(store), settings, lag).polling()));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final HistoryWriter writer;
  private final JournalReader reader;
  private final Settings.History settings;
  private final ReadSideLag lag;
  private final Executor blocking;
  private final Serialization serialization;
  private boolean stepping;
  /** Whether the tables' layout was checked (once, at the first step). */
  private boolean layoutChecked;
  /**
   * Journal rows to read in the next page. A row of results holds up to a batch of them
   * (Job.UrlsFetched), so rows are sized by the most results one row of the last page held:
   * a page holds about max-batch-events results, whatever the batches were, and never
   * thousands of batches in memory at once. Starts at one row.
   */
  private int rowsPerPage = 1;
  /** Rebuilds asked for and not answered yet: done once the running step or reset ends. */
  private final List<ActorRef<StatusReply<RebuildStarted>>> rebuilds = new ArrayList<>();

  private JobHistoryProjection(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      HistoryWriter writer, JournalReader reader, Settings.History settings, ReadSideLag lag) {
    this.ctx = ctx;
    this.lag = lag;
    this.timers = timers;
    this.writer = writer;
    this.reader = reader;
    this.settings = settings;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.serialization = SerializationExtension.get(ctx.getSystem().classicSystem());
  }

  /** Following the journal. */
  private Behavior<Command> polling() {
    ctx.getSelf().tell(new Poll());
    return Behaviors.receive(Command.class)
        .onMessage(Poll.class, msg -> {
          if (!stepping) step();
          return Behaviors.same();
        })
        .onMessage(StepDone.class, msg -> {
          stepping = false;
          if (!rebuilds.isEmpty()) return reset();
          if (msg.failure() != null) {
            ctx.getLog().warn("read side: step failed ({}); trying again in {}", msg.failure(),
                settings.retryAfter());
            timers.startSingleTimer(new Poll(), settings.retryAfter());
          } else if (msg.more()) {
            ctx.getSelf().tell(new Poll());
          } else {
            timers.startSingleTimer(new Poll(), settings.refreshInterval());
          }
          return Behaviors.same();
        })
        .onMessage(Rebuild.class, cmd -> {
          rebuilds.add(cmd.replyTo());
          return stepping ? Behaviors.same() : reset();
        })
        .onMessage(ResetDone.class, msg -> Behaviors.same())
        .onSignal(PostStop.class, stop -> stopped())
        .build();
  }

  /** Reads the next page after the offset and applies it, off the actor. */
  private void step() {
    stepping = true;
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        return applyNextPage();
      } catch (java.sql.SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking), (more, error) -> new StepDone(more != null && more, error));
  }

  private boolean applyNextPage() throws java.sql.SQLException {
    if (!layoutChecked) {
      if (writer.olderLayout()) {
        log.info("read side: its tables are in the layout of an older version; rebuilding"
            + " them from the journal");
        writer.reset();
      }
      layoutChecked = true;
    }
    long readFrom = System.currentTimeMillis();
    JournalReader.Page page = reader.next(rowsPerPage);
    List<HistoryWriter.Envelope> readable = new ArrayList<>(page.events().size());
    int heaviest = 1;
    List<HistoryWriter.Unreadable> unreadable = new ArrayList<>();
    for (HistoryWriter.StoredEvent e : page.events()) {
      String error;
      try {
        Object decoded =
            serialization.deserialize(e.payload(), e.serializerId(), e.manifest()).get();
        if (decoded instanceof Job.Event event) {
          if (event instanceof Job.UrlsFetched batch) {
            heaviest = Math.max(heaviest, batch.results().size());
          }
          String pid = e.persistenceId();
          readable.add(new HistoryWriter.Envelope(e.ordering(),
              pid.substring(pid.indexOf('|') + 1), event));
          continue;
        }
        error = "not a job event: " + decoded.getClass().getName();
      } catch (VirtualMachineError fatal) {
        throw fatal;
      } catch (Throwable unreadableEvent) { // also a class that cannot be loaded or initialized
        error = unreadableEvent.toString();
      }
      unreadable.add(new HistoryWriter.Unreadable(e, error));
    }
    rowsPerPage = Math.max(1, settings.maxBatchEvents() / heaviest);
    if (!writer.apply(page, readable, unreadable)) {
      return true; // another instance moved the read side meanwhile: read again from there
    }
    // At the journal's end, the read side holds all that was written before the read began.
    lag.heldUpTo(page.more() ? page.lastWrittenMillis() : readFrom);
    for (HistoryWriter.Unreadable u : unreadable) {
      var e = u.event();
      log.error("read side: skipped journal event {} ({} #{}), which cannot be read back:"
          + " {} (listed by GET /admin/read-side)", e.ordering(), e.persistenceId(),
          e.sequenceNr(), u.error());
    }
    return page.more();
  }

  private Behavior<Command> stopped() {
    lag.unknown();
    return Behaviors.same();
  }

  /** Empties the tables (no step is running), then follows the journal from its start. */
  private Behavior<Command> reset() {
    timers.cancelAll();
    ctx.pipeToSelf(CompletableFuture.runAsync(() -> {
      try {
        writer.reset();
      } catch (java.sql.SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking), (ok, error) -> new ResetDone(error));
    return Behaviors.receive(Command.class)
        .onMessage(ResetDone.class, msg -> {
          StatusReply<RebuildStarted> reply;
          if (msg.failure() != null) {
            Throwable cause = msg.failure() instanceof CompletionException c
                && c.getCause() != null ? c.getCause() : msg.failure();
            ctx.getLog().error("read side: rebuild failed to empty the tables", cause);
            reply = StatusReply.error("the read side could not be emptied, so it was not"
                + " rebuilt and goes on as it was: " + cause.getMessage());
          } else {
            ctx.getLog().info("read side emptied; rebuilding from the start of the journal");
            reply = StatusReply.success(new RebuildStarted());
          }
          rebuilds.forEach(r -> r.tell(reply));
          rebuilds.clear();
          return polling();
        })
        .onMessage(Rebuild.class, cmd -> {
          rebuilds.add(cmd.replyTo()); // this reset serves it too, once it has ended
          return Behaviors.same();
        })
        .onMessage(Poll.class, msg -> Behaviors.same())
        .onMessage(StepDone.class, msg -> Behaviors.same())
        .onSignal(PostStop.class, stop -> stopped())
        .build();
  }
}
