package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.Settings;
import io.fetchrunner.fetch.HttpFetcher;
import io.fetchrunner.fetch.TargetPolicy;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.TargetServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job entity on its own, with the persistence testkit's journal (which also checks that
 * every command, event and state serializes) and real fetches against a local server.
 */
class JobTest {
  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.serialization-bindings { "io.fetchrunner.CborSerializable" = jackson-cbor }
      fetchrunner.jobs.snapshot-every = 100
      """)
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(ConfigFactory.load());

  static ActorTestKit testKit;
  static TargetServer target;
  static Settings settings;
  static HttpFetcher fetcher;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("job-test", CONFIG);
    target = new TargetServer();
    settings = Settings.from(CONFIG);
    fetcher = new HttpFetcher(testKit.system(), settings.fetch(),
        new TargetPolicy(List.of(), List.of(), true));
  }

  @AfterAll
  static void stop() {
    target.close();
    testKit.shutdownTestKit();
  }

  private record Fixture(String id,
      EventSourcedBehaviorTestKit<Job.Command, Job.Event, JobState> kit,
      TestProbe<JobSupervisor.Command> supervisor) {}

  private static Fixture fixture() {
    String id = UUID.randomUUID().toString();
    TestProbe<JobSupervisor.Command> supervisor = testKit.createTestProbe();
    var kit = EventSourcedBehaviorTestKit.<Job.Command, Job.Event, JobState>create(
        testKit.system(),
        Job.create(id, Job.Deps.of(settings, fetcher, supervisor.ref(), new RunningJobs(),
            new BrokenJobs()),
            Optional.empty()));
    return new Fixture(id, kit, supervisor);
  }

  @Test
  void aWorkerThatDiesWithoutAResultFailsItsUrlAndTheJobStillEnds() {
    String id = UUID.randomUUID().toString();
    TestProbe<JobSupervisor.Command> supervisor = testKit.createTestProbe();
    Job.Deps real = Job.Deps.of(settings, fetcher, supervisor.ref(), new RunningJobs(),
            new BrokenJobs());
    Job.Workers buggy = (index, request, retry, report) -> index == 1
        ? Behaviors.setup(ctx -> {
          throw new IllegalStateException("a bug in the worker");
        })
        : real.workers().create(index, request, retry, report);
    var kit = EventSourcedBehaviorTestKit.<Job.Command, Job.Event, JobState>create(
        testKit.system(), Job.create(id, new Job.Deps(settings, supervisor.ref(),
            new RunningJobs(), new BrokenJobs(), buggy), Optional.empty()));
    Fixture f = new Fixture(id, kit, supervisor);
    List<String> urls = List.of(target.url("/delay/0?bug=0"), target.url("/delay/0?bug=1"),
        target.url("/delay/0?bug=2"));
    kit.<Job.Accepted>runCommand(r -> new Job.Start(spec(id, urls, 1), r));
    JobState done = awaitFinished(f);
    assertEquals(2, done.summary().succeeded());
    assertEquals(1, done.summary().failed());
    assertTrue(done.view().results().get(1).error().contains("worker stopped"));
  }

  @Test
  void aLargeJobAnswersItsSubmitterAndStatusBeforeAllItsWorkersHaveStarted() {
    String id = UUID.randomUUID().toString();
    TestProbe<Object> probe = testKit.createTestProbe();
    // Workers that only say they were created, in the order the job creates them: the
    // probe's queue then shows the job's answers and its worker starts in one order.
    Job.Workers announcing = (index, request, retry, report) -> {
      probe.ref().tell("worker " + index);
      return Behaviors.ignore();
    };
    var job = spawnWith(id, announcing);
    int n = 3_000;
    List<String> urls = urls(n, "s");
    job.tell(new Job.Start(spec(id, urls, n), probe.ref().narrow()));
    job.tell(new Job.Get(false, probe.ref().narrow()));

    List<Object> seen = probe.receiveSeveralMessages(n + 2, Duration.ofSeconds(30));
    int accepted = indexOf(seen, Job.Accepted.class);
    int found = indexOf(seen, Job.Found.class);
    assertEquals(0, accepted, "the 202 leaves before any worker starts");
    assertTrue(found < seen.size() - 1,
        "a status request sent right after the submission is answered while the job's "
            + "workers are still starting (it came at " + found + " of " + seen.size() + ")");
    assertEquals(n, seen.stream().filter(m -> m instanceof String).distinct().count(),
        "every URL still gets its worker");
    testKit.stop(job);
  }

  /** A job (not sharded, no state inspection) whose workers are {@code workers}. */
  private static org.apache.pekko.actor.typed.ActorRef<Job.Command> spawnWith(String id,
      Job.Workers workers) {
    return testKit.spawn(Job.create(id, new Job.Deps(settings,
        testKit.<JobSupervisor.Command>createTestProbe().ref(), new RunningJobs(),
        new BrokenJobs(), workers), Optional.empty()));
  }

  private static List<String> urls(int n, String tag) {
    return IntStream.range(0, n).mapToObj(i -> target.url("/delay/0?" + tag + "=" + i))
        .toList();
  }

  private static int indexOf(List<Object> messages, Class<?> type) {
    for (int i = 0; i < messages.size(); i++) {
      if (type.isInstance(messages.get(i))) return i;
    }
    throw new AssertionError("no " + type.getSimpleName() + " among " + messages.size());
  }

  @Test
  void drainingStoresWhatIsInFlightAndStartsNothingNew() {
    Fixture f = fixture();
    List<String> paths = IntStream.range(0, 6).mapToObj(i -> "/delay/500?drain=" + i).toList();
    List<String> urls = paths.stream().map(target::url).toList();
    f.kit().<Job.Accepted>runCommand(r -> new Job.Start(spec(f.id(), urls, 2), r));
    var drained = f.kit().<org.apache.pekko.Done>runCommand(Job.Drain::new);
    assertEquals(org.apache.pekko.Done.getInstance(), drained.reply());
    JobSummary s = f.kit().getState().summary();
    assertEquals(2, s.succeeded(), "the two fetches in flight were stored before the answer");
    assertEquals(4, s.pending());
    Api.sleep(700);
    assertEquals(0, target.hits(paths.get(2)), "nothing new started while draining");
    assertEquals(2, recorded(stored(f)).size());
  }

  @Test
  void aDrainWhileALargeJobStartsItsWorkersCountsOnlyStartedUrlsAsInFlight() {
    String id = UUID.randomUUID().toString();
    AtomicInteger started = new AtomicInteger();
    // Workers that succeed as soon as they start: whatever was started has its result.
    Job.Workers instant = (index, request, retry, report) -> Behaviors.setup(ctx -> {
      started.incrementAndGet();
      report.accept(index, new UrlResult(UrlState.SUCCEEDED, 200, 0, 1, 1, null, null, null,
          List.of(), List.of()));
      return Behaviors.ignore();
    });
    var job = spawnWith(id, instant);
    int n = 3_000;
    List<String> urls = urls(n, "d");
    TestProbe<Object> probe = testKit.createTestProbe();
    job.tell(new Job.Start(spec(id, urls, n), probe.ref().narrow()));
    job.tell(new Job.Drain(probe.ref().narrow())); // arrives while the first share starts
    probe.expectMessageClass(Job.Accepted.class);
    probe.expectMessage(org.apache.pekko.Done.getInstance());
    testKit.stop(job);

    assertTrue(started.get() < n, "the drain came before all " + n + " workers started ("
        + started.get() + " did)");
    JobState stored = JobState.empty();
    for (Object e : org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit
        .create(testKit.system()).persistedInStorage("Job|" + id)) {
      stored = stored.apply((Job.Event) e);
    }
    assertEquals(started.get(), stored.summary().succeeded(), "every started URL is stored");
    assertEquals(0, stored.inFlightAtStop(),
        "URLs planned but never started are pending after a restart, not refetched");
  }

  private static JobSpec spec(String id, List<String> urls, int concurrency) {
    return new JobSpec(id, "test", urls, concurrency, 10_000, Instant.now(),
        new FetchPolicy(0, 5, 1_000_000, false, Map.of()), Map.of());
  }

  private static JobState awaitFinished(Fixture f) {
    return awaitFinished(f, Duration.ofSeconds(15));
  }

  private static JobState awaitFinished(Fixture f, Duration within) {
    return testKit.createTestProbe().awaitAssert(within, () -> {
      JobState s = f.kit().getState();
      assertTrue(s.isFinished(), () -> "job did not finish: " + s.summary());
      return s;
    });
  }

  /**
   * The stored events once {@code done} holds of them (the testkit's journal may show the
   * last write a moment after the state does).
   */
  private static List<Job.Event> storedOnce(Fixture f,
      Predicate<List<Job.Event>> done) {
    return testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      List<Job.Event> events = stored(f);
      assertTrue(done.test(events), () -> "stored so far: " + events);
      return events;
    });
  }

  private static List<Job.Event> stored(Fixture f) {
    return f.kit().persistenceTestKit()
        .persistedInStorage("Job|" + f.id()).stream().map(e -> (Job.Event) e).toList();
  }

  private static long count(List<Job.Event> events, Class<?> type) {
    return events.stream().filter(type::isInstance).count();
  }

  /** The URL results among the events (a batch event holds several). */
  private static List<Integer> recorded(List<Job.Event> events) {
    List<Integer> indexes = new ArrayList<>();
    for (Job.Event e : events) {
      if (e instanceof Job.UrlsFetched b) b.results().forEach(o -> indexes.add(o.index()));
      if (e instanceof Job.UrlFetched one) indexes.add(one.index());
    }
    return indexes;
  }

  @Test
  void startRecordsTheJobAndThenEveryResultOnce() {
    Fixture f = fixture();
    List<String> urls = List.of(target.url("/delay/0?a"), target.url("/status/404"),
        target.url("/bytes/1000"));
    var result = f.kit().<Job.Accepted>runCommand(r -> new Job.Start(spec(f.id(), urls, 2), r));
    // (the testkit may already show the first results: these URLs answer at once)
    assertTrue(result.events().size() >= 3, result.events()::toString);
    assertInstanceOf(Job.JobSubmitted.class, result.events().get(0));
    assertInstanceOf(Job.RunStarted.class, result.events().get(1));
    assertEquals(new Job.HostsStarted(Map.of(0, 2)), result.events().get(2),
        "concurrency 2: two URLs of the one host");
    assertEquals(JobStatus.RUNNING, result.reply().summary().state());
    assertEquals(3, result.reply().summary().pending());

    JobState done = awaitFinished(f);
    JobSummary s = done.summary();
    assertEquals(JobStatus.COMPLETED, s.state());
    assertEquals(2, s.succeeded());
    assertEquals(1, s.failed());
    assertEquals(0, s.pending());
    assertEquals(1000, done.view().results().get(2).bytes());
    assertEquals(404, done.view().results().get(1).httpStatus());

    List<Job.Event> events = storedOnce(f, e -> count(e, Job.JobCompleted.class) > 0);
    assertEquals(3, recorded(events).size());
    assertEquals(3, recorded(events).stream().distinct().count());
    assertInstanceOf(Job.JobCompleted.class, events.get(events.size() - 1));
    var ended = f.supervisor().expectMessageClass(JobSupervisor.JobEnded.class);
    assertEquals(JobStatus.COMPLETED, ended.summary().state());
  }

  @Test
  void startingAgainChangesNothing() {
    Fixture f = fixture();
    // Slow enough that no result is persisted between the two commands, even under load.
    JobSpec spec = spec(f.id(), List.of(target.url("/delay/3000?again")), 1);
    f.kit().<Job.Accepted>runCommand(r -> new Job.Start(spec, r));
    var again = f.kit().<Job.Accepted>runCommand(r -> new Job.Start(spec, r));
    assertTrue(again.events().isEmpty());
    assertEquals(f.id(), again.reply().summary().id());
  }

  @Test
  void unknownJobAnswersNotFoundAndStoresNothing() {
    Fixture f = fixture();
    var get = f.kit().<Job.GetReply>runCommand(r -> new Job.Get(true, r));
    assertInstanceOf(Job.NotFound.class, get.reply());
    var cancel = f.kit().<Job.CancelReply>runCommand(Job.Cancel::new);
    assertInstanceOf(Job.NotFound.class, cancel.reply());
    assertTrue(stored(f).isEmpty());
  }

  @Test
  void cancelAbandonsInFlightAndRecordsNoLateResult() {
    Fixture f = fixture();
    List<String> urls = IntStream.range(0, 3)
        .mapToObj(i -> target.url("/delay/1000?entity-cancel=" + i)).toList();
    f.kit().<Job.Accepted>runCommand(r -> new Job.Start(spec(f.id(), urls, 1), r));
    var cancel = f.kit().<Job.CancelReply>runCommand(Job.Cancel::new);
    assertEquals(1, cancel.events().size());
    assertInstanceOf(Job.JobCancelled.class, cancel.events().get(0));
    var summary = ((Job.Cancelled) cancel.reply()).summary();
    assertEquals(JobStatus.CANCELLED, summary.state());
    assertEquals(3, summary.cancelled());
    f.supervisor().expectMessageClass(JobSupervisor.JobEnded.class);

    Api.sleep(1500); // the abandoned request would have answered by now
    assertEquals(0, recorded(stored(f)).size());
    var again = f.kit().<Job.CancelReply>runCommand(Job.Cancel::new);
    assertInstanceOf(Job.AlreadyFinished.class, again.reply());
    assertTrue(again.events().isEmpty());
  }

  @Test
  void aRestartedJobFetchesOnlyWhatHasNoResult() {
    Fixture f = fixture();
    List<String> paths = List.of("/delay/0?resume=fast0", "/delay/0?resume=fast1",
        "/delay/2000?resume=slow0", "/delay/2000?resume=slow1");
    List<String> urls = paths.stream().map(target::url).toList();
    f.kit().<Job.Accepted>runCommand(r -> new Job.Start(spec(f.id(), urls, 4), r));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(2), () -> {
      assertEquals(2, f.kit().getState().summary().succeeded(), "the fast URLs are recorded");
      return null;
    });

    f.kit().restart(); // like a crash: workers gone, state recovered from the journal

    JobState done = awaitFinished(f);
    assertEquals(4, done.summary().succeeded());
    assertEquals(1, done.summary().resumes());
    assertEquals(2, done.summary().refetched(), "the two slow URLs were in flight");
    assertEquals(1, target.hits(paths.get(0)));
    assertEquals(1, target.hits(paths.get(1)));
    assertEquals(2, target.hits(paths.get(2)), "in flight at the restart: fetched again");
    assertEquals(2, target.hits(paths.get(3)));
    List<Job.Event> events = storedOnce(f, e -> recorded(e).size() >= 4);
    assertEquals(2, count(events, Job.RunStarted.class));
    assertEquals(4, recorded(events).size());
  }

  @Test
  void aJobOfTwoHostsRestartedMidRunCountsExactlyWhatWasInFlightAsRefetched() {
    Fixture f = fixture();
    try (TargetServer fast = new TargetServer()) {
      // Concurrency 4: the slow host holds 2 slots while the fast one has URLs, then 4.
      List<String> slowPaths = IntStream.range(0, 6)
          .mapToObj(i -> "/delay/5000?two-hosts=" + i).toList();
      List<String> fastPaths = IntStream.range(0, 10)
          .mapToObj(i -> "/delay/0?two-hosts=" + i).toList();
      List<String> urls = new ArrayList<>(slowPaths.stream().map(target::url).toList());
      fastPaths.forEach(p -> urls.add(fast.url(p)));
      f.kit().<Job.Accepted>runCommand(r -> new Job.Start(spec(f.id(), urls, 4), r));
      // (the slow host's two new requests are sent together: either may arrive first)
      testKit.createTestProbe().awaitAssert(Duration.ofSeconds(4), () -> {
        assertEquals(10, f.kit().getState().summary().succeeded(), "the fast host is done");
        assertTrue(target.hits(slowPaths.get(2)) > 0 && target.hits(slowPaths.get(3)) > 0,
            "the slow host's next two requests sent");
        return null;
      });
      assertEquals(List.of(1, 1, 1, 1, 0, 0), slowPaths.stream().map(target::hits).toList(),
          "then the slow host took every slot");

      f.kit().restart(); // like a crash: workers gone, state recovered from the journal

      JobState done = awaitFinished(f, Duration.ofSeconds(60));
      assertEquals(16, done.summary().succeeded());
      assertEquals(4, done.summary().refetched(), "the slow host's 4 were in flight, no more");
      assertEquals(List.of(2, 2, 2, 2, 1, 1), slowPaths.stream().map(target::hits).toList());
      fastPaths.forEach(p -> assertEquals(1, fast.hits(p), p));
    }
  }

  @Test
  void aDrainWhileAJobOfManyHostsStartsItsWorkersCountsOnlyStartedUrlsAsInFlight() {
    String id = UUID.randomUUID().toString();
    AtomicInteger started = new AtomicInteger();
    // Workers that never answer: whatever was started is in flight at the drain's end.
    Job.Workers silent = (index, request, retry, report) -> Behaviors.setup(ctx -> {
      started.incrementAndGet();
      return Behaviors.ignore();
    });
    var job = spawnWith(id, silent);
    int n = 3_000;
    List<String> urls = IntStream.range(0, n)
        .mapToObj(i -> "http://h" + (i % 7) + ".example/" + i).toList();
    TestProbe<Object> probe = testKit.createTestProbe();
    job.tell(new Job.Start(spec(id, urls, n), probe.ref().narrow()));
    job.tell(new Job.Drain(testKit.<org.apache.pekko.Done>createTestProbe().ref()));
    job.tell(new Job.Get(false, probe.ref().narrow())); // answered once the drain is stored
    probe.expectMessageClass(Job.Accepted.class);
    probe.expectMessageClass(Job.Found.class);
    testKit.stop(job);

    assertTrue(started.get() < n, "the drain came before all " + n + " workers started ("
        + started.get() + " did)");
    JobState stored = JobState.empty();
    for (Object e : org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit
        .create(testKit.system()).persistedInStorage("Job|" + id)) {
      stored = stored.apply((Job.Event) e);
    }
    assertEquals(started.get(), stored.inFlightAtStop(),
        "the started URLs of each host were in flight; those planned and not started were not");
  }

  @Test
  void recoveryFromSnapshotEqualsTheReplayedJob() {
    Fixture f = fixture();
    List<String> urls = IntStream.range(0, 250)
        .mapToObj(i -> target.url("/delay/0?snap=" + i)).toList();
    f.kit().<Job.Accepted>runCommand(r -> new Job.Start(spec(f.id(), urls, 50), r));
    JobState done = awaitFinished(f);
    JobView before = done.view();

    f.kit().restart();
    JobView after = f.kit().getState().view();
    assertEquals(before, after);

    JobState replayed = JobState.empty();
    for (Job.Event e : stored(f)) replayed = replayed.apply(e);
    assertEquals(before, replayed.view());
    assertTrue(!f.kit().snapshotTestKit().get().persistedInStorage("Job|" + f.id()).isEmpty(),
        "a snapshot was stored (every 100 events) and used by the recovery");
  }

  @Test
  void aSnapshotIsDueWhenABatchPassesAMultipleWhetherOrNotItIsAppliedYet() {
    List<String> urls = IntStream.range(0, 300).mapToObj(i -> "http://a/" + i).toList();
    JobState state = JobState.empty().apply(new Job.JobSubmitted(spec("due", urls, 10)))
        .apply(new Job.RunStarted(Instant.now(), 0));
    state = state.apply(batch(0, 98));
    Job.UrlsFetched oneMore = batch(98, 99);
    Job.UrlsFetched across = batch(98, 101);
    assertFalse(state.snapshotDue(oneMore, 100), "98 to 99 results");
    assertTrue(state.snapshotDue(across, 100), "98 to 101, asked before it is applied");
    state = state.apply(across);
    assertTrue(state.snapshotDue(across, 100), "98 to 101, asked after it is applied");
    Job.UrlsFetched jump = batch(101, 299);
    assertTrue(state.snapshotDue(jump, 100), "101 to 299 passes 200");
    Job.UrlsFetched short1 = batch(101, 199);
    assertFalse(state.snapshotDue(short1, 100), "101 to 199 passes no multiple");
    state = state.apply(short1);
    assertFalse(state.snapshotDue(short1, 100), "101 to 199, asked after");
  }

  private static Job.UrlsFetched batch(int from, int to) {
    List<Job.Outcome> outcomes = IntStream.range(from, to)
        .mapToObj(i -> new Job.Outcome(i, new UrlResult(UrlState.SUCCEEDED, 200, 0, 1, 1, null,
            null, null, List.of(), List.of())))
        .toList();
    return new Job.UrlsFetched(outcomes, Instant.now());
  }

  @Test
  void snapshotsSerializeAndReadBackEqual() {
    JobSpec spec = new JobSpec("s", "snap", List.of("http://a/", "http://b/", "http://c/"), 2,
        1000, Instant.parse("2026-11-26T10:00:00Z"),
        new FetchPolicy(2, 5, 1000, true, Map.of("X-A", "1")),
        Map.of(2, new UrlRequest("POST", Map.of("X-B", "2"), "{}")), null, "earlier-job",
        new Thresholds(null, 500L, null, 0.1, null, 1.5));
    JobState state = JobState.empty()
        .apply(new Job.JobSubmitted(spec))
        .apply(new Job.RunStarted(Instant.parse("2026-11-26T10:00:01Z"), 0))
        .apply(new Job.HostsStarted(Map.of(0, 1, 1, 1)))
        .apply(new Job.UrlFetched(1, new UrlResult(UrlState.FAILED, 500, 10, 40, 2, "HTTP 500",
                "text/plain", null, List.of("http://b/x"),
                List.of(new UrlResult.Attempt(503, 20, "HTTP 503"))),
            Instant.parse("2026-11-26T10:00:02Z")));
    Serialization serialization = SerializationExtension.get(testKit.system().classicSystem());
    JobSnapshot snapshot = state.toSnapshot();
    byte[] bytes = serialization.serialize(snapshot).get();
    JobSnapshot back = serialization.deserialize(bytes, JobSnapshot.class).get();
    assertEquals(snapshot, back);
    assertEquals(List.of(1, 1), back.startedPerHost());
    var hostsStarted = new Job.HostsStarted(Map.of(0, 1, 1, 1));
    assertEquals(hostsStarted, serialization.deserialize(serialization.serialize(hostsStarted)
        .get(), Job.HostsStarted.class).get());
    assertEquals(state.view(), JobState.fromSnapshot(back).view());
    assertEquals(1000, JobState.fromSnapshot(back).summary().wallMs());
    // The events of a job with thresholds and rerunOf read back as they were written.
    byte[] submitted = serialization.serialize(new Job.JobSubmitted(spec)).get();
    assertEquals(spec, serialization.deserialize(submitted, Job.JobSubmitted.class).get().spec());
    // A completed job's verdict is rebuilt from a snapshot as from its events.
    JobState done = state.apply(new Job.UrlFetched(0, new UrlResult(UrlState.SUCCEEDED, 200, 1,
            900, 1, null, null, null, List.of(), List.of()), Instant.parse("2026-11-26T10:00:03Z")))
        .apply(new Job.UrlFetched(2, new UrlResult(UrlState.SUCCEEDED, 200, 1, 100, 1, null,
            null, null, List.of(), List.of()), Instant.parse("2026-11-26T10:00:03Z")))
        .apply(new Job.JobCompleted(Instant.parse("2026-11-26T10:00:03Z")));
    assertEquals("FAILED", done.summary().verdict());
    JobSnapshot completed = serialization.deserialize(serialization.serialize(done.toSnapshot())
        .get(), JobSnapshot.class).get();
    assertEquals(done.summary(), JobState.fromSnapshot(completed).summary());
  }
}
