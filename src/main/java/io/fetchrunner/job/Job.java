package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import io.fetchrunner.Secrets;
import io.fetchrunner.Settings;
import io.fetchrunner.fetch.AttemptOutcome;
import io.fetchrunner.fetch.FetchRequest;
import io.fetchrunner.fetch.HttpFetcher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.IntPredicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One fetch job: an event-sourced entity that records every URL's final result and runs
 * the fetches as child {@link UrlFetcher} workers, at most {@code concurrency} at a time,
 * the URLs' hosts taking turns ({@link Dispatch}) so that a slow host does not hold up the rest.
 *
 * <p>A URL counts as in flight from its worker's start until its result is persisted, so
 * the concurrency limit also bounds what a crash can lose. Results reach the job through a
 * {@link ResultBatcher}, one batch at a time, and are written with one {@code persistAll}
 * per batch. Whenever the job wakes up with URLs still pending (after a crash or a restart),
 * it starts a new run: URLs with a recorded result are never fetched again.
 */
public final class Job extends EventSourcedBehavior<Job.Command, Job.Event, JobState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Job");

  /**
   * The persistence ids of jobs start with this: the read side reads the journal by it. Job
   * events carry no tags on purpose: pekko-persistence-jdbc 1.1.1 writes a batch of untagged
   * events as one JDBC batch insert, but tagged events one insert at a time (it needs each
   * row's generated ordering for its event_tag row), which was most of the journal's cost.
   */
  public static final String PERSISTENCE_ID_PREFIX = TYPE_KEY.name() + "|";

  // ---- protocol ----

  public sealed interface Command extends CborSerializable
      permits Start, Get, Cancel, Wake, Rerun, RecordResults, Drain, HandOff, Follow, CatchUp,
      BeginRun, DispatchMore, Unload, StopNow, Unfollow, PublishProgress, DeliverNext,
      WebhookAnswered {}

  /** Accept the job (idempotent: a job that exists answers with its summary). */
  public record Start(JobSpec spec, ActorRef<Accepted> replyTo) implements Command {}

  /** The job's figures, with every URL's result when {@code withResults}. */
  public record Get(boolean withResults, ActorRef<GetReply> replyTo) implements Command {}

  public record Cancel(ActorRef<CancelReply> replyTo) implements Command {}

  /**
   * The request that runs this finished job again: its failed URLs ({@code onlyFailed}) or all
   * of them, with its options, linked to it ({@code rerunOf}).
   */
  public record Rerun(boolean onlyFailed, ActorRef<RerunReply> replyTo) implements Command {}

  /** Sent by the supervisor after a restart: loads the job, which resumes if unfinished. */
  public record Wake(ActorRef<WakeReply> replyTo) implements Command {}

  /** A batch of worker results, from this job's {@link ResultBatcher}. */
  public record RecordResults(List<Outcome> outcomes, ActorRef<ResultBatcher.Command> ackTo)
      implements Command {}

  public record Outcome(int index, UrlResult result) implements CborSerializable {}

  /**
   * The node is shutting down: start no more fetches, and answer once every fetch in flight
   * has its result stored (the caller bounds the wait).
   */
  public record Drain(ActorRef<Done> replyTo) implements Command {}

  /**
   * Cluster Sharding moves this job to another node (its node leaves, or shards are
   * rebalanced to a node that joined): store what is in flight, as on {@link Drain} (bounded
   * by fetchrunner.shutdown.drain-timeout), then stop. The supervisor wakes the job on its new
   * node, where it resumes.
   */
  public record HandOff() implements Command {}

  /**
   * Follow the job ({@link JobFeed}): the results recorded after number {@code after} and
   * every later one when {@code withResults}, the summary after each batch, and the end.
   */
  /**
   * A page of the results recorded after number {@code after} ({@link JobFeed#page}): an event
   * stream reads a large backlog page by page before it follows the job.
   */
  public record CatchUp(int after, ActorRef<JobFeed.CatchUpReply> replyTo) implements Command {}

  public record Follow(ActorRef<JobFeed.Update> follower, int after, boolean withResults)
      implements Command {}

  /** Internal: time to publish the progress held back (see {@link #announce}). */
  private record PublishProgress() implements Command {}

  /** Internal: deliver the next pending webhook event, if none is on its way. */
  private record DeliverNext() implements Command {}

  /** Internal: the receiver's answer to a webhook delivery. */
  private record WebhookAnswered(int id, Integer status, String error, boolean delivered)
      implements Command {}

  /** Internal: a follower is gone. */
  private record Unfollow(ActorRef<JobFeed.Update> follower) implements Command {}

  /** Internal: handed off and drained (or out of time): stop. */
  private record StopNow() implements Command {}

  /** Internal: start fetching what is pending (after recovery). */
  private record BeginRun() implements Command {}

  /** Internal: start the next share of the workers already planned (see {@link #dispatch}). */
  private record DispatchMore() implements Command {}

  /** Internal: a finished job has not been asked about for a while. */
  private record Unload() implements Command {}

  public record Accepted(JobSummary summary) implements CborSerializable {}

  public sealed interface GetReply extends CborSerializable permits Found, NotFound {}

  public record Found(JobView view) implements GetReply {}

  public record NotFound() implements GetReply, CancelReply, WakeReply, RerunReply {}

  public sealed interface CancelReply extends CborSerializable
      permits Cancelled, AlreadyFinished, NotFound {}

  public record Cancelled(JobSummary summary) implements CancelReply {}

  public record AlreadyFinished(JobSummary summary) implements CancelReply {}

  public sealed interface WakeReply extends CborSerializable
      permits StillRunning, Ended, NotFound {}

  public record StillRunning() implements WakeReply, RerunReply {}

  public record Ended(JobSummary summary) implements WakeReply {}

  public sealed interface RerunReply extends CborSerializable
      permits RerunRequest, NothingToRerun, StillRunning, NotFound {}

  /** Submit this to run the job again. */
  public record RerunRequest(JobRequest request) implements RerunReply {}

  /** The job has no failed URL. */
  public record NothingToRerun(JobSummary summary) implements RerunReply {}

  // ---- events ----

  public sealed interface Event extends CborSerializable
      permits JobSubmitted, RunStarted, FetchesStarted, HostsStarted, UrlFetched, UrlsFetched,
      JobCompleted, JobCancelled, NotificationQueued, NotificationAttempted,
      NotificationAbandoned {}

  public record JobSubmitted(JobSpec spec) implements Event {}

  /**
   * Fetching (re)started: the first run at submission, one more after each resume.
   * {@code refetching} counts the URLs that were in flight when the previous run stopped and
   * are fetched again in this one.
   */
  public record RunStarted(Instant at, int refetching) implements Event {}

  /**
   * In this run, fetching has started for every URL below {@code upTo} that had no result:
   * what versions before host-aware dispatch stored. Still read (stored journals replay, as
   * per-host cursors: see {@link HostsStarted}); no longer written.
   */
  public record FetchesStarted(int upTo) implements Event {}

  /**
   * In this run, fetching has started for the first {@code upTo.get(h)} URLs of host
   * {@code h} ({@link DispatchHosts}: hosts numbered by first appearance, each host's URLs in
   * index order) that had no result. Only the hosts whose cursor moved since the last one;
   * a host never named in the run has none started. Stored with the batch that frees the
   * slots, just before the fetches start: after a crash, the URLs under the cursors still
   * without a result were in flight and are fetched again. A cursor grows within a run,
   * except when a drain stops the job between two dispatch shares and stores where the
   * starting really got to. Per host, since hosts take turns: the URLs started are no prefix
   * of the URL list, but they are of each host's.
   */
  public record HostsStarted(Map<Integer, Integer> upTo) implements Event {
    public HostsStarted {
      upTo = Collections.unmodifiableSortedMap(new TreeMap<>(upTo));
    }
  }

  /**
   * One URL's result, one journal row each: what versions before 2026-12-05 stored. Still
   * read (stored journals replay); no longer written (see {@link UrlsFetched}).
   */
  public record UrlFetched(int index, UrlResult result, Instant at) implements Event {}

  /**
   * The results of a batch of URLs, recorded together in one journal row, in the order they
   * were recorded (the order the event streams number them by). One row per batch instead of
   * one per URL: a fraction of the journal's and the read side's work per URL.
   */
  public record UrlsFetched(List<Outcome> results, Instant at) implements Event {}

  public record JobCompleted(Instant at) implements Event {}

  public record JobCancelled(Instant at) implements Event {}

  /** A webhook event to deliver (see {@link Notification}); {@code index} -1 for done. */
  public record NotificationQueued(int id, String event, int index, Instant at)
      implements Event {}

  /** One delivery attempt: the receiver's status (null if none came) or the error. */
  public record NotificationAttempted(int id, Integer status, String error, boolean delivered,
      Instant at) implements Event {}

  /** Not delivered within fetchrunner.notify.retry-for: given up. */
  public record NotificationAbandoned(int id, Instant at) implements Event {}

  // ---- behaviour ----

  /** What a job needs from the service around it. */
  public record Deps(
      Settings settings, ActorRef<JobSupervisor.Command> supervisor, RunningJobs running,
      BrokenJobs broken, Workers workers,
      Optional<ActorRef<Topic.Command<JobFeed.Progress>>> progress, WebhookClient webhooks,
      JobMetrics metrics) {

    /** Without the cluster-wide progress topic, webhooks and metrics (entity tests). */
    public Deps(Settings settings, ActorRef<JobSupervisor.Command> supervisor,
        RunningJobs running, BrokenJobs broken, Workers workers) {
      this(settings, supervisor, running, broken, workers, Optional.empty(), null,
          JobMetrics.NONE);
    }

    public static Deps of(Settings settings, HttpFetcher fetcher,
        ActorRef<JobSupervisor.Command> supervisor, RunningJobs running, BrokenJobs broken) {
      return of(settings, fetcher, supervisor, running, broken, JobMetrics.NONE);
    }

    /** Jobs and workers that report to {@code metrics} (GET /metrics). */
    public static Deps of(Settings settings, HttpFetcher fetcher,
        ActorRef<JobSupervisor.Command> supervisor, RunningJobs running, BrokenJobs broken,
        JobMetrics metrics) {
      return new Deps(settings, supervisor, running, broken,
          (index, request, retry, report) ->
              UrlFetcher.create(index, request, retry, fetcher, report, metrics),
          Optional.empty(), request -> fetcher.fetch(request).result(), metrics);
    }

    /** With every job's progress published on {@code progress} (GET /events). */
    public Deps withProgress(ActorRef<Topic.Command<JobFeed.Progress>> progress) {
      return new Deps(settings, supervisor, running, broken, workers, Optional.of(progress),
          webhooks, metrics);
    }
  }

  /** Sends one webhook request (the service's HTTP client: the same target rules). */
  public interface WebhookClient {
    CompletionStage<AttemptOutcome> post(FetchRequest request);
  }

  /** Makes the worker of one URL (tests replace it to simulate a worker that fails). */
  public interface Workers {
    Behavior<UrlFetcher.Command> create(int index, FetchRequest request,
        UrlFetcher.RetryPolicy retry, BiConsumer<Integer, UrlResult> report);
  }

  public static Behavior<Command> create(
      String jobId, Deps deps, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(ctx -> new Job(ctx, jobId, deps, shard));
  }

  private final ActorContext<Command> ctx;
  private final String jobId;
  private final Deps deps;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  /** Runtime only, made again for every run: which URLs have a worker, which comes next. */
  private Dispatch dispatch = Dispatch.none();
  private boolean dispatchMoreSent;
  /** The requests of the job's URLs, built once per incarnation. */
  private FetchRequests requests;
  private ActorRef<ResultBatcher.Command> batcher;
  private final List<ActorRef<Done>> drainWaiters = new ArrayList<>();
  /** A webhook delivery is on its way, or its retry is scheduled. */
  private boolean delivering;
  private boolean deliveryScheduled;
  private long lastProgressNanos;
  private boolean progressScheduled;
  /** Who follows the job, and whether each wants the results or only the summary. */
  private final Map<ActorRef<JobFeed.Update>, Boolean> followers = new LinkedHashMap<>();
  private boolean draining;

  private Job(ActorContext<Command> ctx, String jobId, Deps deps,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    // A failed write (the store briefly away) restarts the job, which then resumes.
    super(PersistenceId.of(TYPE_KEY.name(), jobId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.ctx = ctx;
    this.jobId = jobId;
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
        .onCommand(Rerun.class, (s, c) -> unknown(c.replyTo()))
        .onCommand(Follow.class, (s, c) -> {
          scheduleUnload();
          return Effect().reply(c.follower(), new JobFeed.NoSuchJob());
        })
        .onCommand(CatchUp.class, (s, c) -> {
          scheduleUnload();
          return Effect().reply(c.replyTo(), new JobFeed.NoSuchJob());
        })
        .onCommand(RecordResults.class, (s, c) -> Effect().none())
        .onCommand(BeginRun.class, (s, c) -> Effect().none())
        .onCommand(DispatchMore.class, (s, c) -> Effect().none())
        .onCommand(Drain.class, (s, c) -> Effect().reply(c.replyTo(), Done.getInstance()))
        .onCommand(Unload.class, (s, c) -> unload());
    builder.forState(s -> !s.isRunning())
        .onCommand(HandOff.class, (s, c) -> Effect().stop());
    builder.forAnyState()
        .onCommand(StopNow.class, (s, c) -> Effect().stop())
        .onCommand(Follow.class, this::onFollow)
        .onCommand(CatchUp.class, (s, c) -> Effect().reply(c.replyTo(), JobFeed.page(s, c.after())))
        .onCommand(Unfollow.class, (s, c) -> {
          followers.remove(c.follower());
          return Effect().none();
        })
        .onCommand(DeliverNext.class, (s, c) -> {
          deliveryScheduled = false;
          if (!s.isEmpty()) deliverNext(s);
          return Effect().none();
        })
        .onCommand(WebhookAnswered.class, this::onWebhookAnswered)
        .onCommand(PublishProgress.class, (s, c) -> {
          progressScheduled = false;
          if (s.isRunning()) publishProgress(s); // an ended job published its end already
          return Effect().none();
        });
    builder.forState(JobState::isRunning)
        .onCommand(HandOff.class, this::onHandOff)
        .onCommand(Start.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s.summary())))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), found(s, c)))
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(Wake.class, (s, c) -> Effect().reply(c.replyTo(), new StillRunning()))
        .onCommand(Rerun.class, (s, c) -> Effect().reply(c.replyTo(), new StillRunning()))
        .onCommand(RecordResults.class, this::onRecordResults)
        .onCommand(BeginRun.class, this::onBeginRun)
        .onCommand(DispatchMore.class, (s, c) -> {
          dispatchMoreSent = false;
          if (!draining) dispatch(s);
          return Effect().none();
        })
        .onCommand(Drain.class, this::onDrain)
        .onCommand(Unload.class, (s, c) -> Effect().none());
    builder.forState(JobState::isFinished)
        .onCommand(Start.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s.summary())))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), found(s, c)))
        .onCommand(Cancel.class,
            (s, c) -> Effect().reply(c.replyTo(), new AlreadyFinished(s.summary())))
        .onCommand(Wake.class, (s, c) -> Effect().reply(c.replyTo(),
            s.nextPendingNotification() != null ? new StillRunning() : new Ended(s.summary())))
        .onCommand(Rerun.class, (s, c) -> {
          JobRequest again = s.rerun(c.onlyFailed());
          return Effect().reply(c.replyTo(), again.urls().isEmpty()
              ? new NothingToRerun(s.summary()) : new RerunRequest(again));
        })
        .onCommand(RecordResults.class, (s, c) -> {
          c.ackTo().tell(new ResultBatcher.Recorded());
          return Effect().none();
        })
        .onCommand(BeginRun.class, (s, c) -> Effect().none())
        .onCommand(DispatchMore.class, (s, c) -> Effect().none())
        .onCommand(Drain.class, (s, c) -> Effect().reply(c.replyTo(), Done.getInstance()))
        // Not while webhook events wait to be delivered.
        .onCommand(Unload.class, (s, c) -> s.nextPendingNotification() != null
            ? Effect().none() : unload());
    return builder.build();
  }

  private Effect<Event, JobState> onStart(JobState state, Start cmd) {
    JobSpec spec = cmd.spec();
    Dispatch run = newRun(DispatchHosts.of(spec), spec, i -> true); // no result yet
    var planned = new HostsStarted(run.plan(i -> true));
    return Effect()
        .persist(List.of(new JobSubmitted(spec), new RunStarted(JobClock.now(), 0), planned))
        .thenRun(s -> {
          // Answer first: the submitter waits for this, not for the workers.
          cmd.replyTo().tell(new Accepted(s.summary()));
          announce(s);
          startRun(s, run);
        });
  }

  private Effect<Event, JobState> onBeginRun(JobState state, BeginRun cmd) {
    if (batcher != null) return Effect().none(); // already running in this incarnation
    DispatchHosts hosts = DispatchHosts.of(state.spec());
    Dispatch run = newRun(hosts, state.spec(), state::isPending);
    var planned = new HostsStarted(run.plan(state::isPending));
    return Effect().persist(List.of(new RunStarted(JobClock.now(),
            state.inFlightAtStop(hosts)), planned))
        .thenRun(s -> startRun(s, run));
  }

  /**
   * A run's dispatch: the job's concurrency, at most per-host-concurrency to one host, or the
   * job's own perHost.concurrency when it asks for less.
   */
  private Dispatch newRun(DispatchHosts hosts, JobSpec spec, IntPredicate pending) {
    int perHost = deps.settings().fetch().perHostConcurrency();
    PerHost own = spec.policy() == null ? null : spec.policy().perHost();
    if (own != null && own.concurrency() != null) perHost = Math.min(perHost, own.concurrency());
    return new Dispatch(hosts, spec.concurrency(), perHost, pending);
  }

  private Effect<Event, JobState> onRecordResults(JobState state, RecordResults cmd) {
    Instant now = JobClock.now();
    List<Event> events = new ArrayList<>(4);
    List<Outcome> fresh = new ArrayList<>(cmd.outcomes().size());
    Set<Integer> seen = new HashSet<>();
    for (Outcome o : cmd.outcomes()) {
      if (state.isPending(o.index()) && seen.add(o.index())) fresh.add(o);
    }
    if (!fresh.isEmpty()) events.add(new UrlsFetched(fresh, now));
    // Their slots are free now: if the write fails, the job restarts with a new dispatch.
    for (Outcome o : cmd.outcomes()) dispatch.ended(o.index());
    Notify hook = state.spec().webhook();
    int notificationId = state.notificationCount();
    if (hook != null && hook.wants(Notify.FAILED_URL)) {
      for (Outcome f : fresh) {
        if (f.result().state() == UrlState.FAILED) {
          events.add(new NotificationQueued(notificationId++, Notify.FAILED_URL, f.index(), now));
        }
      }
    }
    int fetchedEvents = fresh.size();
    if (fetchedEvents == state.pending()) {
      events.add(new JobCompleted(now));
      if (hook != null && hook.wants(Notify.VERDICT_FAILED)) {
        Verdict verdict = state.verdictWith(fresh, now);
        if (verdict != null && verdict.failed()) {
          events.add(new NotificationQueued(notificationId++, Notify.VERDICT_FAILED, -1, now));
        }
      }
      if (hook != null && hook.wants(Notify.DONE)) {
        events.add(new NotificationQueued(notificationId, Notify.DONE, -1, now));
      }
    } else if (!draining) {
      var planned = dispatch.plan(state::isPending);
      if (!planned.isEmpty()) events.add(new HostsStarted(planned));
    }
    if (events.isEmpty()) {
      cmd.ackTo().tell(new ResultBatcher.Recorded());
      answerDrainWaiters();
      return Effect().none();
    }
    long writeStarted = System.nanoTime();
    return Effect().persist(events).thenRun(s -> {
      deps.metrics().stored(events, System.nanoTime() - writeStarted);
      cmd.ackTo().tell(new ResultBatcher.Recorded());
      publish(s, fetchedEvents);
      deliverNext(s);
      if (s.isFinished()) {
        onFinished(s);
      } else if (!draining) {
        dispatch(s);
      }
      answerDrainWaiters();
    });
  }

  private Effect<Event, JobState> onDrain(JobState state, Drain cmd) {
    draining = true;
    drainWaiters.add(cmd.replyTo());
    var back = dispatch.retreat(); // the URLs planned but not started were never in flight
    if (!back.isEmpty()) {
      return Effect().persist(new HostsStarted(back)).thenRun(s -> answerDrainWaiters());
    }
    answerDrainWaiters();
    return Effect().none();
  }

  private Effect<Event, JobState> onFollow(JobState state, Follow cmd) {
    ActorRef<JobFeed.Update> follower = cmd.follower();
    follower.tell(new JobFeed.Following(ctx.getSelf(), state.summary()));
    if (cmd.withResults()) JobFeed.chunks(state, cmd.after()).forEach(follower::tell);
    if (state.isFinished()) {
      follower.tell(new JobFeed.Ended(state.summary(), state.fetchedCount()));
    } else if (followers.put(follower, cmd.withResults()) == null) {
      ctx.watchWith(follower, new Unfollow(follower));
    }
    return Effect().none();
  }

  /** Progress on the cluster-wide topic at most this often per job (GET /events). */
  static final Duration PROGRESS_EVERY = Duration.ofMillis(250);

  /** Publishes the job's progress now, or when {@link #PROGRESS_EVERY} has passed. */
  private void announce(JobState state) {
    if (deps.progress().isEmpty() && followers.isEmpty()) return;
    long since = System.nanoTime() - lastProgressNanos;
    if (since >= PROGRESS_EVERY.toNanos() || state.isFinished()) {
      publishProgress(state);
    } else if (!progressScheduled) {
      progressScheduled = true;
      ctx.scheduleOnce(PROGRESS_EVERY.minusNanos(since), ctx.getSelf(), new PublishProgress());
    }
  }

  /** The summary now to the topic (GET /events) and, while it runs, to the followers. */
  private void publishProgress(JobState state) {
    JobSummary summary = state.summary();
    deps.progress().ifPresent(topic -> topic.tell(Topic.publish(new JobFeed.Progress(summary))));
    if (state.isRunning() && !followers.isEmpty()) {
      var progress = new JobFeed.Summary(summary);
      followers.keySet().forEach(f -> f.tell(progress));
    }
    lastProgressNanos = System.nanoTime();
  }

  /**
   * Tells the followers that want results about the {@code fetched} results just stored (each
   * rendered once, whatever the number of followers), and the topic and all followers about
   * the progress, at most every {@link #PROGRESS_EVERY}.
   */
  private void publish(JobState state, int fetched) {
    if (!state.isFinished()) announce(state); // else onFinished does
    if (fetched == 0 || !followers.containsValue(Boolean.TRUE)) return;
    List<JobFeed.Results> chunks = JobFeed.chunks(state, state.fetchedCount() - fetched);
    followers.forEach((follower, results) -> {
      if (results) chunks.forEach(follower::tell);
    });
  }

  private Effect<Event, JobState> onHandOff(JobState state, HandOff cmd) {
    ctx.getLog().info("job {} moves to another node: storing what is in flight first", jobId);
    ctx.scheduleOnce(deps.settings().shutdownDrainTimeout(), ctx.getSelf(), new StopNow());
    return onDrain(state, new Drain(ctx.messageAdapter(Done.class, done -> new StopNow())));
  }

  private Effect<Event, JobState> onCancel(JobState state, Cancel cmd) {
    Instant now = JobClock.now();
    List<Event> events = new ArrayList<>(List.of(new JobCancelled(now)));
    Notify hook = state.spec().webhook();
    if (hook != null && hook.wants(Notify.DONE)) {
      events.add(new NotificationQueued(state.notificationCount(), Notify.DONE, -1, now));
    }
    return Effect().persist(events)
        .thenRun(s -> {
          // Stopping a worker abandons its request and frees the connection.
          dispatch.stopAll(ctx::stop);
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

  private void startRun(JobState state, Dispatch run) {
    ctx.cancelReceiveTimeout();
    batcher = ctx.spawn(ResultBatcher.create(ctx.getSelf(), state.total(),
        deps.settings().jobs().resultBatchMax()), "results");
    dispatch = run;
    requests = new FetchRequests(state.spec(), deps.settings().fetch());
    deps.running().add(jobId, ctx.getSelf());
    dispatch(state);
  }

  /** Draining and nothing in flight any more: the shutdown may proceed. */
  private void answerDrainWaiters() {
    if (!draining || !dispatch.idle()) return;
    drainWaiters.forEach(w -> w.tell(Done.getInstance()));
    drainWaiters.clear();
  }

  /**
   * Starts the workers of the URLs planned (and stored), a share per message
   * ({@link Dispatch#SHARE}); the next share follows in a message of its own.
   */
  private void dispatch(JobState state) {
    ActorRef<ResultBatcher.Command> results = batcher;
    UrlFetcher.RetryPolicy retry = requests.retry();
    boolean more = dispatch.startShare(state::isPending, index -> {
      ActorRef<UrlFetcher.Command> worker = ctx.spawn(
          deps.workers().create(index, requests.request(index), retry,
              (i, result) -> results.tell(new ResultBatcher.Add(i, result))),
          "url-" + index);
      // The batcher watches the worker: a worker that dies without a result (a bug) still
      // ends its URL, as FAILED, instead of holding a slot forever.
      results.tell(new ResultBatcher.Track(index, worker));
      return worker;
    });
    if (more && !dispatchMoreSent) {
      dispatchMoreSent = true;
      ctx.getSelf().tell(new DispatchMore());
    }
  }

  private void onFinished(JobState state) {
    if (batcher != null) {
      ctx.stop(batcher);
      batcher = null;
    }
    deps.running().remove(jobId, ctx.getSelf());
    endIfSettled(state); // else when its webhook events are delivered
    deliverNext(state);
    announce(state);
    followers.keySet().forEach(f -> f.tell(new JobFeed.Ended(state.summary(),
        state.fetchedCount())));
    followers.clear();
    scheduleUnload();
  }

  /** A finished job whose webhook events are settled tells the supervisor it ended. */
  private void endIfSettled(JobState state) {
    if (state.isFinished() && state.nextPendingNotification() == null) {
      deps.supervisor().tell(new JobSupervisor.JobEnded(state.summary()));
    }
  }

  // ---- webhooks ----

  private void deliverNext(JobState state) {
    if (delivering || deliveryScheduled || deps.webhooks() == null) return;
    Notification n = state.nextPendingNotification();
    Notify hook = state.spec().webhook();
    if (n == null || hook == null) return;
    delivering = true;
    var request = Webhooks.request(hook.url(), jobId, n, state,
        deps.settings().webhooks(), deps.settings().fetch().maxRedirects());
    ctx.pipeToSelf(deps.webhooks().post(request), (outcome, error) -> {
      if (error != null) return new WebhookAnswered(n.id(), null, error.toString(), false);
      Integer status = outcome.httpStatus();
      boolean delivered = status != null && status >= 200 && status < 300;
      return new WebhookAnswered(n.id(), status,
          delivered ? null : outcome.error() != null ? outcome.error() : "HTTP " + status,
          delivered);
    });
  }

  private Effect<Event, JobState> onWebhookAnswered(JobState state, WebhookAnswered cmd) {
    delivering = false;
    Instant now = JobClock.now();
    List<Event> events = new ArrayList<>(List.of(new NotificationAttempted(cmd.id(),
        cmd.status(), cmd.error() == null ? null : Secrets.text(cmd.error()), cmd.delivered(),
        now)));
    Notification n = state.notifications().get(cmd.id());
    var settings = deps.settings().webhooks();
    if (!cmd.delivered()
        && Duration.between(n.queuedAt(), now).compareTo(settings.retryFor()) >= 0) {
      ctx.getLog().warn("job {}: webhook event {} ({}) not delivered after {} attempts; given"
          + " up (fetchrunner.notify.retry-for): {}", jobId, cmd.id(), n.event(),
          n.attempts() + 1, Secrets.text(String.valueOf(cmd.error())));
      events.add(new NotificationAbandoned(cmd.id(), now));
    }
    return Effect().persist(events).thenRun(s -> {
      Notification after = s.notifications().get(cmd.id());
      if (after.pending()) {
        // min, 2 min, 4 min, ... at most max between attempts.
        long min = settings.backoffMin().toMillis();
        long wait = Math.min(settings.backoffMax().toMillis(),
            min << Math.min(20, Math.max(0, after.attempts() - 1)));
        deliveryScheduled = true;
        ctx.scheduleOnce(Duration.ofMillis(wait), ctx.getSelf(), new DeliverNext());
      } else {
        deliverNext(s);
        endIfSettled(s);
      }
    });
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
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), state -> {
          deps.running().remove(jobId, ctx.getSelf());
          followers.keySet().forEach(f -> f.tell(new JobFeed.Stopped()));
        })
        .onSignal(RecoveryFailed.class, (state, failed) -> {
          // Restarted with backoff and failing again until the store is mended: say so.
          ctx.getLog().error("job {} cannot be loaded from the store", jobId, failed.getFailure());
          deps.broken().broken(jobId, String.valueOf(failed.getFailure().getMessage()));
        })
        .onSignal(RecoveryCompleted.instance(), state -> {
          deps.broken().recovered(jobId);
          if (state.isRunning()) {
            ctx.getSelf().tell(new BeginRun());
          } else {
            scheduleUnload();
          }
          if (state.nextPendingNotification() != null) ctx.getSelf().tell(new DeliverNext());
        })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Snapshots only speed up recovery. Events are never deleted: pekko-persistence-jdbc
    // 1.1.1 can end a recovery early at a gap in sequence numbers. Snapshots are taken by
    // results recorded (shouldSnapshot), not by events: one event holds a batch of results.
    return RetentionCriteria.disabled();
  }

  /**
   * A snapshot each time the job's recorded results pass a multiple of
   * {@code fetchrunner.jobs.snapshot-every}: a recovery replays at most that many results.
   * Every snapshot is kept (a job of 100,000 URLs has 5 with the default 20,000).
   */
  @Override
  public boolean shouldSnapshot(JobState state, Event event, long sequenceNr) {
    return event instanceof UrlsFetched batch
        && state.snapshotDue(batch, deps.settings().jobs().snapshotEvery());
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
