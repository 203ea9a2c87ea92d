package io.fetchrunner.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.job.FetchPolicy;
import io.fetchrunner.job.JobRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The schedules entity with a clock the test moves (no real waiting) and a launcher that
 * records what it submits: firings on time, overlap skipped or queued, missed firings made
 * up or not, pause and resume, a restart that fires nothing twice.
 */
class SchedulesTest {
  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.serialization-bindings { "io.fetchrunner.CborSerializable" = jackson-cbor }
      """)
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(ConfigFactory.load());
  static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");
  static ActorTestKit testKit;

  /** A clock the test sets. */
  static final class TestClock extends Clock {
    volatile Instant now = T0;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Records each submission (key, request); jobs in {@code running} still run. */
  static final class TestLauncher implements Schedules.Launcher {
    final List<String> keys = new CopyOnWriteArrayList<>();
    final List<JobRequest> requests = new CopyOnWriteArrayList<>();
    final Set<String> running = ConcurrentHashMap.newKeySet();

    @Override
    public CompletionStage<Boolean> running(String jobId) {
      return CompletableFuture.completedFuture(running.contains(jobId));
    }

    @Override
    public CompletionStage<String> submit(JobRequest request, String key, String previous) {
      // The same key is the same job, as the supervisor answers a replay.
      if (!keys.contains(key)) {
        keys.add(key);
        requests.add(request);
      }
      return CompletableFuture.completedFuture("job-" + keys.indexOf(key));
    }
  }

  TestClock clock;
  TestLauncher launcher;
  EventSourcedBehaviorTestKit<Schedules.Command, Schedules.Event, ScheduleState> kit;

  @BeforeAll
  static void startKit() {
    testKit = ActorTestKit.create("schedules-test", CONFIG);
  }

  @AfterAll
  static void stopKit() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void fresh() {
    clock = new TestClock();
    launcher = new TestLauncher();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), Schedules.create(
        new Schedules.Deps(clock, Duration.ofMinutes(1), Duration.ofMillis(200), launcher)));
  }

  private static JobRequest job() {
    return new JobRequest("nightly", List.of("http://127.0.0.1/a", "http://127.0.0.1/b"), 2,
        10_000, new FetchPolicy(0, 5, 1_000_000, false, Map.of()), Map.of());
  }

  private String create(String every, String cron, String overlap, String catchUp) {
    String id = java.util.UUID.randomUUID().toString();
    var spec = new ScheduleSpec(id, "nightly", job(), every, cron, "UTC", overlap, catchUp,
        clock.now, clock.now);
    kit.<Schedules.View>runCommand(r -> new Schedules.Create(spec, r));
    return id;
  }

  /** Moves the clock to {@code at} and looks for firings; waits for what they lead to. */
  private void at(Instant at) {
    clock.now = at;
    kit.runCommand(Schedules.tick());
    // A firing's check and submission are messages of their own: let them be handled, so
    // that "nothing fired" is not read before they could have.
    sleep(100);
    kit.getState();
  }

  private void await(Predicate<ScheduleState> done) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(2), () -> {
      ScheduleState state = kit.getState();
      assertTrue(done.test(state), () -> "never: " + state);
      return null;
    });
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private List<ScheduleState.Run> runs(String id) {
    return kit.getState().get(id).runs();
  }

  private void awaitRuns(String id, int n) {
    await(s -> s.get(id).runs().size() >= n);
  }

  @Test
  void firesOnTimeAsAnOrdinaryJobOncePerFiring() {
    String id = create("PT10M", null, ScheduleSpec.SKIP, ScheduleSpec.NONE);
    at(T0.plusSeconds(599));
    assertEquals(0, launcher.keys.size(), "not before its time");
    at(T0.plusSeconds(600));
    awaitRuns(id, 1);
    assertEquals(List.of("schedule:" + id + ":" + T0.plusSeconds(600).getEpochSecond()),
        launcher.keys);
    assertEquals(id, launcher.requests.get(0).scheduleId());
    assertEquals(job().urls(), launcher.requests.get(0).urls());
    ScheduleState.Run run = runs(id).get(0);
    assertEquals(ScheduleState.Run.FIRED, run.outcome());
    assertEquals(T0.plusSeconds(600), run.scheduledFor());
    assertEquals("job-0", run.jobId());
    at(T0.plusSeconds(700));
    assertEquals(1, launcher.keys.size(), "nothing new until 10:20");
    var view = assertInstanceOf(Schedules.Found.class,
        kit.<Schedules.GetReply>runCommand(r -> new Schedules.Get(id, r)).reply()).view();
    assertEquals(T0.plusSeconds(1200), view.nextRunAt());
  }

  @Test
  void anOverlapIsSkippedOrQueuedAsAsked() {
    String skip = create("PT10M", null, ScheduleSpec.SKIP, ScheduleSpec.NONE);
    at(T0.plusSeconds(600));
    awaitRuns(skip, 1);
    launcher.running.add("job-0");
    at(T0.plusSeconds(1200));
    awaitRuns(skip, 2);
    assertEquals(ScheduleState.Run.SKIPPED_OVERLAP, runs(skip).get(1).outcome());
    assertEquals(1, launcher.keys.size(), "never two runs of one schedule at once");

    String queue = create("PT10M", null, ScheduleSpec.QUEUE_ONE, ScheduleSpec.NONE);
    Instant created = clock.now;
    at(created.plusSeconds(600));
    awaitRuns(queue, 1);
    launcher.running.add("job-1");
    at(created.plusSeconds(1200));
    awaitRuns(queue, 2);
    assertEquals(ScheduleState.Run.QUEUED, runs(queue).get(1).outcome());
    assertEquals(created.plusSeconds(1200), kit.getState().get(queue).queuedFor());
    at(created.plusSeconds(1210));
    assertEquals(2, launcher.keys.size(), "still waiting while the run runs");
    launcher.running.remove("job-1");
    at(created.plusSeconds(1220));
    awaitRuns(queue, 3);
    assertEquals(ScheduleState.Run.FIRED, runs(queue).get(2).outcome());
    assertEquals(created.plusSeconds(1200), runs(queue).get(2).scheduledFor(),
        "the queued firing, once the run before it ended");
    assertNull(kit.getState().get(queue).queuedFor());
  }

  @Test
  void aFiringMissedWhileDownIsMadeUpOnceOrNotAsAsked() {
    String none = create("PT10M", null, ScheduleSpec.SKIP, ScheduleSpec.NONE);
    String last = create("PT10M", null, ScheduleSpec.SKIP, ScheduleSpec.LAST);
    // Down from 10:05 to 10:45: firings at 10:10, 10:20, 10:30 and 10:40 were missed.
    at(T0.plusSeconds(45 * 60));
    awaitRuns(none, 1);
    awaitRuns(last, 1);
    assertEquals(ScheduleState.Run.MISSED, runs(none).get(0).outcome());
    assertEquals(T0.plusSeconds(40 * 60), runs(none).get(0).scheduledFor());
    assertEquals(ScheduleState.Run.FIRED, runs(last).get(0).outcome());
    assertEquals(T0.plusSeconds(40 * 60), runs(last).get(0).scheduledFor(), "the latest only");
    assertEquals(1, launcher.keys.size());
    // A firing found within the grace (1 min) is on time, not missed.
    at(T0.plusSeconds(50 * 60 + 30));
    awaitRuns(none, 2);
    assertEquals(ScheduleState.Run.FIRED, runs(none).get(1).outcome());
  }

  @Test
  void aRestartFiresNothingTwiceAndAPausedScheduleNothingAtAll() {
    String id = create(null, "*/5 * * * *", ScheduleSpec.SKIP, ScheduleSpec.LAST);
    at(T0.plusSeconds(300));
    awaitRuns(id, 1);
    kit.restart();
    at(T0.plusSeconds(310));
    assertEquals(1, launcher.keys.size(), "10:05 was fired before the restart");
    kit.<Schedules.UpdateReply>runCommand(r -> new Schedules.Update(id,
        new Schedules.Patch(true, null, null, null, null, null), r));
    at(T0.plusSeconds(900));
    assertEquals(1, launcher.keys.size(), "paused");
    var resumed = assertInstanceOf(Schedules.Found.class,
        kit.<Schedules.UpdateReply>runCommand(r -> new Schedules.Update(id,
            new Schedules.Patch(false, null, null, null, null, null), r)).reply()).view();
    assertEquals(T0.plusSeconds(1200), resumed.nextRunAt(), "the paused firings are not owed");
    at(T0.plusSeconds(1200));
    awaitRuns(id, 2);
    assertEquals(2, launcher.keys.size());
    var bad = assertInstanceOf(Schedules.Invalid.class,
        kit.<Schedules.UpdateReply>runCommand(r -> new Schedules.Update(id,
            new Schedules.Patch(null, null, "99 * * * *", null, null, null), r)).reply());
    assertEquals("cron", bad.field());
    assertTrue(kit.<Schedules.GetReply>runCommand(r -> new Schedules.Delete(id, r)).reply()
        instanceof Schedules.Found);
    assertInstanceOf(Schedules.NotFound.class,
        kit.<Schedules.GetReply>runCommand(r -> new Schedules.Get(id, r)).reply());
  }
}
