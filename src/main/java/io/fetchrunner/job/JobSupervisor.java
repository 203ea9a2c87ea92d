package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
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
 * Accepts jobs and keeps the list of every job accepted (a cluster singleton). A job is
 * registered before its entity is started, and acknowledged only once both are stored, so a
 * job answered with 202 survives any crash. After a restart the supervisor wakes every job
 * that had not ended: an unfinished job resumes by itself as soon as it is loaded.
 */
public final class JobSupervisor
    extends EventSourcedBehavior<JobSupervisor.Command, JobSupervisor.Event, JobRegistry> {

  public sealed interface Command extends CborSerializable
      permits Submit, JobEnded, StartAnswered, WakeAnswered, WakeAgain, ReplayAnswered,
      NodeRemoved, WakeUnfinished {}

  /**
   * Accept a job. With an {@code idempotencyKey} (null for none), a repeated submission of
   * the same request answers with the job already accepted under that key.
   */
  public record Submit(JobRequest request, String idempotencyKey, ActorRef<SubmitReply> replyTo)
      implements Command {}

  /** A job reached COMPLETED or CANCELLED. */
  public record JobEnded(JobSummary summary) implements Command {}

  /** The entity's answer to a Start; {@code replay}: the Start of a repeated submission. */
  private record StartAnswered(String id, ActorRef<SubmitReply> replyTo, JobSummary summary,
      String error, boolean replay) implements Command {}

  private record WakeAnswered(String id, int attempt, Job.WakeReply reply, String error)
      implements Command {}

  private record WakeAgain(String id, int attempt) implements Command {}

  /** A node left the cluster (or was downed): its jobs resume elsewhere once woken. */
  private record NodeRemoved(String address) implements Command {}

  /**
   * Timer, while the cluster has several nodes: wake every unfinished job. A job whose shard
   * moved (a node left, or shards were rebalanced to a node that joined) is stopped by Cluster
   * Sharding and starts again on its new node at its next message: this is that message.
   */
  private record WakeUnfinished() implements Command {}

  /** Attempt number of the wake-ups of {@link NodeRemoved} and {@link WakeUnfinished}. */
  private static final int ROUTINE = -1;

  /** How often unfinished jobs are woken while the cluster has several nodes. */
  static final Duration REWAKE_INTERVAL = Duration.ofSeconds(2);

  /**
   * The job registered under a repeated submission's key answered ({@code summary}), was not
   * stored ({@code notStored}: its Start is sent again), or did not answer (both empty).
   */
  private record ReplayAnswered(ActorRef<SubmitReply> replyTo, JobSummary summary,
      boolean notStored, JobSpec spec) implements Command {}

  public sealed interface SubmitReply extends CborSerializable
      permits Submitted, NotSubmitted, KeyReused {}

  /** Accepted now ({@code replayed} false) or earlier under the same Idempotency-Key. */
  public record Submitted(JobSummary summary, boolean replayed) implements SubmitReply {}

  public record NotSubmitted(String reason) implements SubmitReply {}

  /** The Idempotency-Key was used before with a different request. */
  public record KeyReused(String jobId) implements SubmitReply {}

  public sealed interface Event extends CborSerializable
      permits JobRegistered, JobRecordedAsEnded, JobAbandoned {}

  public record JobRegistered(String id, String name, Instant submittedAt, int total,
      String idempotencyKey, String fingerprint) implements Event {}

  public record JobRecordedAsEnded(JobSummary summary) implements Event {}

  /** Registered, but its entity was never stored (a crash in between): it never was accepted. */
  public record JobAbandoned(String id) implements Event {}

  /**
   * {@code keyRetention}: how long after its submission an ended job accepted under an
   * Idempotency-Key is remembered (see {@link JobRegistry}).
   */
  public static Behavior<Command> create(ClusterSharding sharding, Duration askTimeout,
      Duration keyRetention) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberRemoved.class,
              removed -> new NodeRemoved(removed.member().address().toString())),
          ClusterEvent.MemberRemoved.class));
      timers.startTimerWithFixedDelay(new WakeUnfinished(), REWAKE_INTERVAL);
      return new JobSupervisor(ctx, sharding, askTimeout, keyRetention);
    }));
  }

  private final ActorContext<Command> ctx;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final Duration keyRetention;
  /** Jobs that failed to load and wait for their next attempt (not woken meanwhile). */
  private final Set<String> retrying = new HashSet<>();

  private JobSupervisor(ActorContext<Command> ctx, ClusterSharding sharding, Duration askTimeout,
      Duration keyRetention) {
    super(PersistenceId.ofUniqueId("job-supervisor"),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.ctx = ctx;
    this.sharding = sharding;
    this.askTimeout = askTimeout;
    this.keyRetention = keyRetention;
  }

  @Override
  public JobRegistry emptyState() {
    return new JobRegistry(keyRetention);
  }

  @Override
  public CommandHandler<Command, Event, JobRegistry> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(StartAnswered.class, this::onStartAnswered)
        .onCommand(JobEnded.class, (registry, cmd) -> recordEnd(registry, cmd.summary()))
        .onCommand(WakeAnswered.class, this::onWakeAnswered)
        .onCommand(ReplayAnswered.class, (registry, cmd) -> {
          if (cmd.notStored()) {
            // Registered, but its entity never stored it (its Start failed or timed out): the
            // same request again is that job's Start again, under the same id. Start is
            // idempotent, so a first Start still on its way makes no second job.
            start(cmd.spec(), cmd.replyTo(), true);
          } else {
            cmd.replyTo().tell(cmd.summary() == null
                ? new NotSubmitted("the job under this Idempotency-Key did not answer; try again")
                : new Submitted(cmd.summary(), true));
          }
          return Effect().none();
        })
        .onCommand(WakeAgain.class, (registry, cmd) -> {
          retrying.remove(cmd.id());
          wake(cmd.id(), cmd.attempt());
          return Effect().none();
        })
        .onCommand(NodeRemoved.class, (registry, cmd) -> {
          int jobs = wakeUnfinished(registry);
          ctx.getLog().info("node {} left the cluster: woke {} unfinished job(s), which resume"
              + " on the nodes that hold them now", cmd.address(), jobs);
          return Effect().none();
        })
        .onCommand(WakeUnfinished.class, (registry, cmd) -> {
          if (Cluster.get(ctx.getSystem()).state().members().size() > 1) {
            wakeUnfinished(registry);
          }
          return Effect().none();
        })
        .build();
  }

  private Effect<Event, JobRegistry> onSubmit(JobRegistry registry, Submit cmd) {
    JobRequest r = cmd.request();
    String fingerprint = cmd.idempotencyKey() == null ? null : r.fingerprint();
    if (cmd.idempotencyKey() != null) {
      JobRegistry.Entry earlier = registry.byIdempotencyKey(cmd.idempotencyKey());
      if (earlier != null) {
        if (!earlier.fingerprint().equals(fingerprint)) {
          return Effect().reply(cmd.replyTo(), new KeyReused(earlier.id()));
        }
        JobSpec again = spec(earlier.id(), r, earlier.submittedAt());
        ctx.ask(Job.GetReply.class, sharding.entityRefFor(Job.TYPE_KEY, earlier.id()),
            askTimeout, replyTo -> new Job.Get(false, replyTo),
            (reply, error) -> new ReplayAnswered(cmd.replyTo(),
                reply instanceof Job.Found f ? f.view().summary() : null,
                reply instanceof Job.NotFound, again));
        return Effect().none();
      }
    }
    String id = UUID.randomUUID().toString();
    JobSpec spec = spec(id, r, JobClock.now());
    return Effect()
        .persist(new JobRegistered(id, spec.name(), spec.submittedAt(), spec.urls().size(),
            cmd.idempotencyKey(), fingerprint))
        .thenRun(s -> start(spec, cmd.replyTo(), false));
  }

  private static JobSpec spec(String id, JobRequest r, Instant submittedAt) {
    return new JobSpec(id, r.name(), r.urls(), r.concurrency(), r.timeoutMs(), submittedAt,
        r.policy(), r.requests(), r.webhook(), r.rerunOf(), r.thresholds(), r.scheduleId());
  }

  /** Asks the job's entity to store and start it; the answer comes as StartAnswered. */
  private void start(JobSpec spec, ActorRef<SubmitReply> replyTo, boolean replay) {
    ctx.ask(Job.Accepted.class, sharding.entityRefFor(Job.TYPE_KEY, spec.id()), askTimeout,
        ask -> new Job.Start(spec, ask),
        (accepted, error) -> new StartAnswered(spec.id(), replyTo,
            accepted == null ? null : accepted.summary(),
            error == null ? null : error.toString(), replay));
  }

  private Effect<Event, JobRegistry> onStartAnswered(JobRegistry registry, StartAnswered cmd) {
    if (cmd.summary() != null) {
      cmd.replyTo().tell(new Submitted(cmd.summary(), cmd.replay()));
    } else {
      // The entity may still store the job later; a restart settles which (see Wake).
      ctx.getLog().warn("job {} was not confirmed by its entity: {}", cmd.id(), cmd.error());
      cmd.replyTo().tell(new NotSubmitted("the job store did not confirm in time"));
    }
    return Effect().none();
  }

  private Effect<Event, JobRegistry> recordEnd(JobRegistry registry, JobSummary summary) {
    JobRegistry.Entry entry = registry.get(summary.id());
    if (entry == null || entry.finalSummary() != null) return Effect().none();
    return Effect().persist(new JobRecordedAsEnded(summary));
  }

  /** Wakes every unfinished job that is not waiting for a retry; returns how many. */
  private int wakeUnfinished(JobRegistry registry) {
    int woken = 0;
    for (JobRegistry.Entry e : registry.unfinished()) {
      if (retrying.contains(e.id())) continue;
      wake(e.id(), ROUTINE);
      woken++;
    }
    return woken;
  }

  private Effect<Event, JobRegistry> onWakeAnswered(JobRegistry registry, WakeAnswered cmd) {
    if (cmd.reply() instanceof Job.Ended ended) {
      return recordEnd(registry, ended.summary());
    } else if (cmd.attempt() == ROUTINE) {
      // A routine wake-up: a job that did not answer is woken again at the next one, and one
      // not stored yet may be a submission whose Start is still on its way.
      return Effect().none();
    } else if (cmd.reply() instanceof Job.NotFound) {
      ctx.getLog().info("job {} was registered but never stored; dropping it", cmd.id());
      return Effect().persist(new JobAbandoned(cmd.id()));
    } else if (cmd.error() != null) {
      // 5 s, 10 s, 20 s, ... at most 5 min: a job that cannot load is not hammered.
      Duration wait = Duration.ofSeconds(Math.min(300, 5L << Math.min(cmd.attempt(), 6)));
      ctx.getLog().warn("job {} did not answer its wake-up ({}); trying again in {} s",
          cmd.id(), cmd.error(), wait.toSeconds());
      retrying.add(cmd.id());
      ctx.scheduleOnce(wait, ctx.getSelf(), new WakeAgain(cmd.id(), cmd.attempt() + 1));
    }
    return Effect().none();
  }

  private void wake(String id, int attempt) {
    ctx.ask(Job.WakeReply.class, sharding.entityRefFor(Job.TYPE_KEY, id), askTimeout,
        Job.Wake::new, (reply, error) ->
            new WakeAnswered(id, attempt, reply, error == null ? null : error.toString()));
  }

  @Override
  public EventHandler<JobRegistry, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(JobRegistry::apply);
  }

  @Override
  public SignalHandler<JobRegistry> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), registry -> {
          var unfinished = registry.unfinished();
          if (!unfinished.isEmpty()) {
            ctx.getLog().info("resuming {} unfinished job(s)", unfinished.size());
          }
          unfinished.forEach(e -> wake(e.id(), 0));
        })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(1000, 2);
  }

  @Override
  public SnapshotAdapter<JobRegistry> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(JobRegistry state) {
        return state.toSnapshot();
      }

      @Override
      public JobRegistry fromJournal(Object from) {
        return JobRegistry.fromSnapshot((JobRegistry.Snapshot) from, keyRetention);
      }
    };
  }
}
