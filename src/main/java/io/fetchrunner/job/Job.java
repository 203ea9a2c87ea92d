package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import io.fetchrunner.Settings;
import io.fetchrunner.fetch.HttpFetcher;
import io.fetchrunner.fetch.UrlFetcher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One fetch job: an event-sourced entity that records every URL's final result and runs
 * the fetches as child {@link UrlFetcher} workers, at most {@code concurrency} at a time.
 *
 * <p>A URL counts as in flight from its worker's start until its result is persisted, so
 * the concurrency limit also bounds what a crash can lose. Results reach the job through a
 * {@link ResultBatcher}, one batch at a time, and are written with one {@code persistAll}
 * per batch. Whenever the job wakes up with URLs still pending (after a crash or a restart),
 * it starts a new run: URLs with a recorded result are never fetched again.
 */
public final class Job extends EventSourcedBehavior<Job.Command, Job.Event, JobState> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "Job");

  /** The tag of every job event: the read side follows it with eventsByTag. */
  public static final String TAG = "job";

  // ---- protocol ----

  public sealed interface Command extends CborSerializable
      permits Start, Get, Cancel, Wake, RecordResults, BeginRun, Unload {}

  /** Accept the job (idempotent: a job that exists answers with its summary). */
  public record Start(JobSpec spec, ActorRef<Accepted> replyTo) implements Command {}

  /** The job's figures, with every URL's result when {@code withResults}. */
  public record Get(boolean withResults, ActorRef<GetReply> replyTo) implements Command {}

  public record Cancel(ActorRef<CancelReply> replyTo) implements Command {}

  /** Sent by the supervisor after a restart: loads the job, which resumes if unfinished. */
  public record Wake(ActorRef<WakeReply> replyTo) implements Command {}

  /** A batch of worker results, from this job's {@link ResultBatcher}. */
  public record RecordResults(List<Outcome> outcomes, ActorRef<ResultBatcher.Command> ackTo)
      implements Command {}

  public record Outcome(int index, UrlResult result) implements CborSerializable {}

  /** Internal: start fetching what is pending (after recovery). */
  private record BeginRun() implements Command {}

  /** Internal: a finished job has not been asked about for a while. */
  private record Unload() implements Command {}

  public record Accepted(JobSummary summary) implements CborSerializable {}

  public sealed interface GetReply extends CborSerializable permits Found, NotFound {}

  public record Found(JobView view) implements GetReply {}

  public record NotFound() implements GetReply, CancelReply, WakeReply {}

  public sealed interface CancelReply extends CborSerializable
      permits Cancelled, AlreadyFinished, NotFound {}

  public record Cancelled(JobSummary summary) implements CancelReply {}

  public record AlreadyFinished(JobSummary summary) implements CancelReply {}

  public sealed interface WakeReply extends CborSerializable
      permits StillRunning, Ended, NotFound {}

  public record StillRunning() implements WakeReply {}

  public record Ended(JobSummary summary) implements WakeReply {}

  // ---- events ----

  public sealed interface Event extends CborSerializable
      permits JobSubmitted, RunStarted, UrlFetched, JobCompleted, JobCancelled {}

  public record JobSubmitted(JobSpec spec) implements Event {}

  /** Fetching (re)started: the first run at submission, one more after each resume. */
  public record RunStarted(Instant at) implements Event {}

  public record UrlFetched(int index, UrlResult result, Instant at) implements Event {}

  public record JobCompleted(Instant at) implements Event {}

  public record JobCancelled(Instant at) implements Event {}

  // ---- behaviour ----

  /** What a job needs from the service around it. */
  public record Deps(
      Settings settings, HttpFetcher fetcher, ActorRef<JobSupervisor.Command> supervisor) {}

  public static Behavior<Command> create(
      String jobId, Deps deps, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(ctx -> new Job(ctx, jobId, deps, shard));
  }

  private final ActorContext<Command> ctx;
  private final Deps deps;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  // Runtime only, rebuilt on every start: which URLs have a worker, and where to look next.
  private final Map<Integer, ActorRef<UrlFetcher.Command>> inFlight = new HashMap<>();
  private int cursor;
  private ActorRef<ResultBatcher.Command> batcher;

  private Job(ActorContext<Command> ctx, String jobId, Deps deps,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    // A failed write (the store briefly away) restarts the job, which then resumes.
    super(PersistenceId.of(TYPE_KEY.name(), jobId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.ctx = ctx;
    this.deps = deps;
    this.shard = shard;
  }

  @Override
  public JobState emptyState() {
    return JobState.empty();
  }

  @Override
  public CommandHandler<Command, Event, JobState> commandHandler() {
    var builder = newCommandHandlerBuilder();
    builder.forState(JobState::isEmpty)
        .onCommand(Start.class, this::onStart)
        .onCommand(Get.class, (s, c) -> unknown(c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> unknown(c.replyTo()))
        .onCommand(Wake.class, (s, c) -> unknown(c.replyTo()))
        .onCommand(RecordResults.class, (s, c) -> Effect().none())
        .onCommand(BeginRun.class, (s, c) -> Effect().none())
        .onCommand(Unload.class, (s, c) -> unload());
    builder.forState(JobState::isRunning)
        .onCommand(Start.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s.summary())))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), found(s, c)))
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(Wake.class, (s, c) -> Effect().reply(c.replyTo(), new StillRunning()))
        .onCommand(RecordResults.class, this::onRecordResults)
        .onCommand(BeginRun.class, this::onBeginRun)
        .onCommand(Unload.class, (s, c) -> Effect().none());
    builder.forState(JobState::isFinished)
        .onCommand(Start.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s.summary())))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), found(s, c)))
        .onCommand(Cancel.class,
            (s, c) -> Effect().reply(c.replyTo(), new AlreadyFinished(s.summary())))
        .onCommand(Wake.class, (s, c) -> Effect().reply(c.replyTo(), new Ended(s.summary())))
        .onCommand(RecordResults.class, (s, c) -> {
          c.ackTo().tell(new ResultBatcher.Recorded());
          return Effect().none();
        })
        .onCommand(BeginRun.class, (s, c) -> Effect().none())
        .onCommand(Unload.class, (s, c) -> unload());
    return builder.build();
  }

  private Effect<Event, JobState> onStart(JobState state, Start cmd) {
    return Effect()
        .persist(List.of(new JobSubmitted(cmd.spec()), new RunStarted(Instant.now())))
        .thenRun(this::startRun)
        .thenReply(cmd.replyTo(), s -> new Accepted(s.summary()));
  }

  private Effect<Event, JobState> onBeginRun(JobState state, BeginRun cmd) {
    if (batcher != null) return Effect().none(); // already running in this incarnation
    return Effect().persist(new RunStarted(Instant.now())).thenRun(this::startRun);
  }

  private Effect<Event, JobState> onRecordResults(JobState state, RecordResults cmd) {
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>(cmd.outcomes().size() + 1);
    Set<Integer> seen = new HashSet<>();
    for (Outcome o : cmd.outcomes()) {
      if (state.isPending(o.index()) && seen.add(o.index())) {
        events.add(new UrlFetched(o.index(), o.result(), now));
      }
    }
    if (events.size() == state.pending()) events.add(new JobCompleted(now));
    if (events.isEmpty()) {
      cmd.ackTo().tell(new ResultBatcher.Recorded());
      return Effect().none();
    }
    return Effect().persist(events).thenRun(s -> {
      for (Outcome o : cmd.outcomes()) inFlight.remove(o.index());
      cmd.ackTo().tell(new ResultBatcher.Recorded());
      if (s.isFinished()) {
        onFinished(s);
      } else {
        dispatch(s);
      }
    });
  }

  private Effect<Event, JobState> onCancel(JobState state, Cancel cmd) {
    return Effect().persist(new JobCancelled(Instant.now()))
        .thenRun(s -> {
          // Stopping a worker abandons its request and frees the connection.
          inFlight.values().forEach(ctx::stop);
          inFlight.clear();
          onFinished(s);
        })
        .thenReply(cmd.replyTo(), s -> new Cancelled(s.summary()));
  }

  private static Found found(JobState state, Get get) {
    return new Found(get.withResults() ? state.view() : new JobView(state.summary(), null));
  }

  /** No such job: answer, and leave memory soon (the id may be a typo, or a probe). */
  private Effect<Event, JobState> unknown(ActorRef<? super NotFound> replyTo) {
    scheduleUnload();
    return Effect().reply(replyTo, new NotFound());
  }

  private Effect<Event, JobState> unload() {
    if (shard.isEmpty()) return Effect().stop(); // not sharded (entity tests)
    shard.get().tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    return Effect().none();
  }

  // ---- running ----

  private void startRun(JobState state) {
    ctx.cancelReceiveTimeout();
    batcher = ctx.spawn(
        ResultBatcher.create(ctx.getSelf(), deps.settings().jobs().resultBatchMax()), "results");
    cursor = 0;
    dispatch(state);
  }

  private void dispatch(JobState state) {
    JobSpec spec = state.spec();
    Duration timeout = Duration.ofMillis(spec.timeoutMs());
    ActorRef<ResultBatcher.Command> results = batcher;
    while (inFlight.size() < spec.concurrency() && cursor < state.total()) {
      int index = cursor++;
      if (!state.isPending(index)) continue;
      ActorRef<UrlFetcher.Command> worker = ctx.spawn(
          UrlFetcher.create(index, spec.urls().get(index), timeout, deps.fetcher(),
              (i, result) -> results.tell(new ResultBatcher.Add(i, result))),
          "url-" + index);
      inFlight.put(index, worker);
    }
  }

  private void onFinished(JobState state) {
    if (batcher != null) {
      ctx.stop(batcher);
      batcher = null;
    }
    deps.supervisor().tell(new JobSupervisor.JobEnded(state.summary()));
    scheduleUnload();
  }

  private void scheduleUnload() {
    ctx.setReceiveTimeout(deps.settings().jobs().idleUnloadAfter(), new Unload());
  }

  @Override
  public EventHandler<JobState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(JobState::apply);
  }

  @Override
  public SignalHandler<JobState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.isRunning()) {
            ctx.getSelf().tell(new BeginRun());
          } else {
            scheduleUnload();
          }
        })
        .build();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Snapshots only speed up recovery. Events are never deleted: pekko-persistence-jdbc
    // 1.1.1 can end a recovery early at a gap in sequence numbers.
    return RetentionCriteria.snapshotEvery(deps.settings().jobs().snapshotEvery(), 2);
  }

  @Override
  public SnapshotAdapter<JobState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(JobState state) {
        return state.toSnapshot();
      }

      @Override
      public JobState fromJournal(Object from) {
        return JobState.fromSnapshot((JobSnapshot) from);
      }
    };
  }
}
