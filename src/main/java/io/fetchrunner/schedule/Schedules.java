package io.fetchrunner.schedule;

import io.fetchrunner.CborSerializable;
import io.fetchrunner.Secrets;
import io.fetchrunner.job.JobRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Every schedule, event-sourced in one entity (a cluster singleton): created, changed,
 * deleted, and each firing: an ordinary job submitted through the job supervisor under the
 * Idempotency-Key {@code schedule:<id>:<epoch second of the firing>}, so that a firing done
 * again after a crash is the same job. A firing whose previous run still runs is skipped or
 * queued ({@code overlap}); one found late by more than {@code grace} (the service was down)
 * is made up once or not ({@code catchUp}).
 */
public final class Schedules
    extends EventSourcedBehavior<Schedules.Command, Schedules.Event, ScheduleState> {
  public static final String PERSISTENCE_ID = "schedules";

  // ---- protocol ----

  public sealed interface Command extends CborSerializable
      permits Create, Update, Get, ListAll, Delete, Tick, Checked, Submitted {}

  public record Create(ScheduleSpec spec, ActorRef<View> replyTo) implements Command {}

  /** Changes what is given (null: unchanged): pause or resume, timing, overlap, catch-up. */
  public record Patch(Boolean paused, String every, String cron, String zone, String overlap,
      String catchUp) implements CborSerializable {}

  public record Update(String id, Patch patch, ActorRef<UpdateReply> replyTo)
      implements Command {}

  public record Get(String id, ActorRef<GetReply> replyTo) implements Command {}

  public record ListAll(ActorRef<All> replyTo) implements Command {}

  public record Delete(String id, ActorRef<GetReply> replyTo) implements Command {}

  /** Internal: time to look for firings due. */
  private record Tick() implements Command {}

  /** A Tick now (tests, which move their own clock instead of waiting). */
  static Command tick() {
    return new Tick();
  }

  /** Internal: whether a schedule's previous run still runs, for its firing {@code due}. */
  private record Checked(String id, Instant due, boolean running, boolean queued)
      implements Command {}

  /** Internal: the job of a firing was accepted ({@code jobId}) or not ({@code error}). */
  private record Submitted(String id, Instant due, String jobId, String error)
      implements Command {}

  public sealed interface GetReply extends CborSerializable permits Found, NotFound {}

  public sealed interface UpdateReply extends CborSerializable permits Found, NotFound, Invalid {}

  public record Found(View view) implements GetReply, UpdateReply {}

  public record NotFound() implements GetReply, UpdateReply {}

  /** A change that makes no valid schedule; {@code field} names what is wrong. */
  public record Invalid(String field, String message) implements UpdateReply {}

  public record All(List<View> schedules) implements CborSerializable {}

  /** A schedule as GET /schedules/{id} shows it. */
  public record View(String id, String name, String every, String cron, String zone,
      String overlap, String catchUp, boolean paused, Instant createdAt, Instant nextRunAt,
      Instant queuedFor, String lastJobId, int urls, List<ScheduleState.Run> lastRuns)
      implements CborSerializable {}

  // ---- events ----

  public sealed interface Event extends CborSerializable permits ScheduleCreated,
      ScheduleChanged, ScheduleDeleted, RunFired, RunSkipped, RunQueued {}

  public record ScheduleCreated(ScheduleSpec spec) implements Event {}

  public record ScheduleChanged(ScheduleSpec spec, boolean paused, Instant at) implements Event {}

  public record ScheduleDeleted(String id) implements Event {}

  public record RunFired(String id, Instant scheduledFor, String jobId, Instant at)
      implements Event {}

  public record RunSkipped(String id, Instant scheduledFor, String reason, Instant at)
      implements Event {}

  public record RunQueued(String id, Instant scheduledFor, Instant at) implements Event {}

  // ---- behaviour ----

  /** Submits the jobs of firings and tells whether a job still runs. */
  public interface Launcher {
    CompletionStage<Boolean> running(String jobId);

    /**
     * The id of the job accepted for {@code request} under {@code idempotencyKey};
     * {@code previousJobId} (null for none) is the schedule's previous run, whose validators a
     * conditional request asks with.
     */
    CompletionStage<String> submit(JobRequest request, String idempotencyKey,
        String previousJobId);
  }

  /**
   * What the schedules need: the clock (a test's own), how late a firing may be found before
   * it counts as missed, how often a queued firing looks again, and the launcher.
   */
  public record Deps(Clock clock, Duration grace, Duration poll, Launcher launcher) {}

  /** Longest wait between two looks, so that a changed clock is noticed. */
  static final Duration MAX_WAIT = Duration.ofSeconds(60);

  public static Behavior<Command> create(Deps deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Schedules(ctx, timers, deps)));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Deps deps;
  /** Schedules whose firing is being checked or submitted (runtime only). */
  private final Set<String> busy = new HashSet<>();

  private Schedules(ActorContext<Command> ctx, TimerScheduler<Command> timers, Deps deps) {
    super(PersistenceId.ofUniqueId(PERSISTENCE_ID),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10),
            0.2));
    this.ctx = ctx;
    this.timers = timers;
    this.deps = deps;
  }

  @Override
  public ScheduleState emptyState() {
    return ScheduleState.empty();
  }

  @Override
  public CommandHandler<Command, Event, ScheduleState> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Create.class, (s, c) -> Effect().persist(new ScheduleCreated(c.spec()))
            .thenRun(after -> {
              c.replyTo().tell(view(after.get(c.spec().id())));
              wakeAt(after);
            }))
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s.get(c.id()) == null
            ? new NotFound() : new Found(view(s.get(c.id())))))
        .onCommand(ListAll.class, (s, c) -> Effect().reply(c.replyTo(),
            new All(s.entries().values().stream().map(this::view).toList())))
        .onCommand(Delete.class, (s, c) -> {
          ScheduleState.Entry e = s.get(c.id());
          if (e == null) return Effect().reply(c.replyTo(), new NotFound());
          return Effect().persist(new ScheduleDeleted(c.id()))
              .thenReply(c.replyTo(), after -> new Found(view(e)));
        })
        .onCommand(Tick.class, this::onTick)
        .onCommand(Checked.class, this::onChecked)
        .onCommand(Submitted.class, this::onSubmitted)
        .build();
  }

  private Effect<Event, ScheduleState> onUpdate(ScheduleState s, Update c) {
    ScheduleState.Entry e = s.get(c.id());
    if (e == null) return Effect().reply(c.replyTo(), new NotFound());
    Patch p = c.patch();
    ScheduleSpec old = e.spec();
    String every = p.every() != null ? p.every() : p.cron() != null ? null : old.every();
    String cron = p.cron() != null ? p.cron() : p.every() != null ? null : old.cron();
    String zone = p.zone() != null ? p.zone() : old.zone();
    boolean retimed = p.every() != null || p.cron() != null || p.zone() != null;
    Instant now = deps.clock().instant();
    ScheduleSpec spec = new ScheduleSpec(old.id(), old.name(), old.job(), every, cron, zone,
        p.overlap() != null ? p.overlap() : old.overlap(),
        p.catchUp() != null ? p.catchUp() : old.catchUp(), old.createdAt(),
        retimed ? now : old.anchor());
    try {
      spec.timing();
    } catch (IllegalArgumentException bad) {
      String field = bad.getMessage().substring(0, Math.max(0, bad.getMessage().indexOf(':')));
      return Effect().reply(c.replyTo(), new Invalid(field.isEmpty() ? "every" : field,
          bad.getMessage()));
    }
    boolean paused = p.paused() != null ? p.paused() : e.paused();
    return Effect().persist(new ScheduleChanged(spec, paused, now)).thenRun(after -> {
      c.replyTo().tell(new Found(view(after.get(c.id()))));
      wakeAt(after);
    });
  }

  /** Looks for firings due; each found is skipped, queued or checked and submitted. */
  private Effect<Event, ScheduleState> onTick(ScheduleState s, Tick c) {
    Instant now = deps.clock().instant();
    List<Event> missed = new ArrayList<>();
    for (ScheduleState.Entry e : s.entries().values()) {
      String id = e.spec().id();
      if (e.paused() || busy.contains(id)) continue;
      if (e.queuedFor() != null) {
        check(id, e.queuedFor(), e.lastJobId(), true);
        continue;
      }
      Optional<Instant> due = e.spec().timing().latestAtOrBefore(now);
      if (due.isEmpty() || !due.get().isAfter(e.lastDue())) continue;
      boolean late = Duration.between(due.get(), now).compareTo(deps.grace()) > 0;
      if (late && e.spec().catchUp().equals(ScheduleSpec.NONE)) {
        ctx.getLog().info("schedule {}: the firing of {} was missed (catchUp none)", id,
            due.get());
        missed.add(new RunSkipped(id, due.get(), ScheduleState.Run.MISSED, now));
      } else {
        check(id, due.get(), e.lastJobId(), false);
      }
    }
    if (missed.isEmpty()) {
      wakeAt(s);
      return Effect().none();
    }
    return Effect().persist(missed).thenRun(this::wakeAt);
  }

  /** Whether the previous run still runs (none: it does not), then Checked. */
  private void check(String id, Instant due, String lastJobId, boolean queued) {
    busy.add(id);
    if (lastJobId == null) {
      ctx.getSelf().tell(new Checked(id, due, false, queued));
      return;
    }
    ctx.pipeToSelf(deps.launcher().running(lastJobId), (running, error) ->
        // A job that does not answer counts as running: no second run beside it.
        new Checked(id, due, error != null || running, queued));
  }

  private Effect<Event, ScheduleState> onChecked(ScheduleState s, Checked c) {
    ScheduleState.Entry e = s.get(c.id());
    if (e == null || e.paused()) {
      busy.remove(c.id());
      return Effect().none();
    }
    Instant now = deps.clock().instant();
    if (c.running()) {
      busy.remove(c.id());
      if (c.queued()) {
        wakeAt(s); // still waiting
        return Effect().none();
      }
      Event event = e.spec().overlap().equals(ScheduleSpec.QUEUE_ONE)
          ? new RunQueued(c.id(), c.due(), now)
          : new RunSkipped(c.id(), c.due(), ScheduleState.Run.SKIPPED_OVERLAP, now);
      return Effect().persist(event).thenRun(this::wakeAt);
    }
    JobRequest job = e.spec().job().forSchedule(c.id());
    String key = "schedule:" + c.id() + ":" + c.due().getEpochSecond();
    ctx.pipeToSelf(deps.launcher().submit(job, key, e.lastJobId()), (jobId, error) ->
        new Submitted(c.id(), c.due(), jobId, error == null ? null : error.toString()));
    return Effect().none();
  }

  private Effect<Event, ScheduleState> onSubmitted(ScheduleState s, Submitted c) {
    busy.remove(c.id());
    if (c.error() != null || c.jobId() == null) {
      ctx.getLog().warn("schedule {}: the job of the firing of {} was not accepted ({}); trying"
          + " again", c.id(), c.due(), Secrets.text(String.valueOf(c.error())));
      timers.startSingleTimer(Tick.class, new Tick(), deps.poll().multipliedBy(5));
      return Effect().none();
    }
    if (s.get(c.id()) == null) return Effect().none(); // deleted meanwhile: the job runs
    return Effect().persist(new RunFired(c.id(), c.due(), c.jobId(), deps.clock().instant()))
        .thenRun(this::wakeAt);
  }

  /** Sets the next Tick: at the earliest firing due, soon while one is queued, 60 s at most. */
  private void wakeAt(ScheduleState s) {
    Instant now = deps.clock().instant();
    Duration wait = MAX_WAIT;
    for (ScheduleState.Entry e : s.entries().values()) {
      if (e.paused()) continue;
      Duration d = e.queuedFor() != null ? deps.poll()
          : Duration.between(now, e.spec().timing().nextAfter(e.lastDue()));
      if (d.compareTo(wait) < 0) wait = d;
    }
    timers.startSingleTimer(Tick.class, new Tick(), wait.isNegative() ? Duration.ZERO : wait);
  }

  private View view(ScheduleState.Entry e) {
    ScheduleSpec spec = e.spec();
    Instant next = e.paused() ? null : e.queuedFor() != null ? e.queuedFor()
        : spec.timing().nextAfter(e.lastDue());
    return new View(spec.id(), spec.name(), spec.every(), spec.cron(), spec.zone(),
        spec.overlap(), spec.catchUp(), e.paused(), spec.createdAt(),
        next == null || next.equals(Instant.MAX) ? null : next, e.queuedFor(), e.lastJobId(),
        spec.job().urls().size(), e.runs());
  }

  @Override
  public EventHandler<ScheduleState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(ScheduleState::apply);
  }

  @Override
  public SignalHandler<ScheduleState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> ctx.getSelf().tell(new Tick()))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Each firing is an event: a snapshot every 1,000 keeps a recovery short.
    return RetentionCriteria.snapshotEvery(1_000, 2);
  }
}
