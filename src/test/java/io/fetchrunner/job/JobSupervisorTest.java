package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The job supervisor on its own (persistence testkit journal, a cluster of one), with stand-in
 * job entities: Idempotency-Key replays and reuse, jobs never stored (abandoned after a
 * restart), and the wake-up of unfinished jobs after a restart, retried with backoff.
 */
class JobSupervisorTest {
  private static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.actor.serialization-bindings { "io.fetchrunner.CborSerializable" = jackson-cbor }
      pekko.actor.testkit.typed.single-expect-default = 10s
      """)
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(ConfigFactory.load());
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);
  /** The supervisor's first wait before waking again a job that did not answer. */
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(5);

  private ActorTestKit testKit;
  private Entities entities;
  private EventSourcedBehaviorTestKit<JobSupervisor.Command, JobSupervisor.Event, JobRegistry> kit;

  /** A command a stand-in job entity received, and when (System.nanoTime()). */
  private record Seen(String id, Class<?> command, long nanos) {}

  /**
   * Stand-in job entities. A Start is stored and answered, unless the job's name is
   * {@code losing} (neither: as a crash before the entity stored it) or {@code unconfirmed}
   * (stored, not answered). A Wake gets NotFound for a job never stored, Ended once it ended,
   * else StillRunning; no answer while the job is {@code silent}. All go to {@code seen}.
   */
  private static final class Entities {
    final Set<String> losing = ConcurrentHashMap.newKeySet();
    final Set<String> unconfirmed = ConcurrentHashMap.newKeySet();
    final Set<String> silent = ConcurrentHashMap.newKeySet();
    final Map<String, JobSummary> stored = new ConcurrentHashMap<>();
    volatile ActorRef<Seen> seen;

    Behavior<Job.Command> entity(String id) {
      return Behaviors.receiveMessage(cmd -> {
        if (cmd instanceof Job.Start start) {
          JobSpec spec = start.spec();
          if (!losing.contains(spec.name())) {
            stored.putIfAbsent(id, new JobSummary(id, spec.name(), JobStatus.RUNNING,
                spec.urls().size(), 0, 0, 0, spec.urls().size(), spec.submittedAt(), null, 0, 0,
                null, 0, 0));
            if (!unconfirmed.contains(spec.name())) {
              start.replyTo().tell(new Job.Accepted(stored.get(id)));
            }
          }
        } else if (cmd instanceof Job.Wake wake && !silent.contains(id)) {
          JobSummary s = stored.get(id);
          wake.replyTo().tell(s == null ? new Job.NotFound()
              : s.finished() ? new Job.Ended(s) : new Job.StillRunning());
        } else if (cmd instanceof Job.Get get) {
          JobSummary s = stored.get(id);
          get.replyTo().tell(s == null ? new Job.NotFound() : new Job.Found(new JobView(s, null)));
        }
        seen.tell(new Seen(id, cmd.getClass(), System.nanoTime()));
        return Behaviors.same();
      });
    }

    /** The job ended (without telling the supervisor, as if that message was lost). */
    JobSummary end(String id) {
      JobSummary r = stored.get(id);
      JobSummary done = new JobSummary(id, r.name(), JobStatus.COMPLETED, r.total(), r.total(),
          0, 0, 0, r.submittedAt(), Instant.now(), 10, 10, 1.0, 0, 0);
      stored.put(id, done);
      return done;
    }
  }

  @BeforeEach
  void start() {
    testKit = ActorTestKit.create("supervisor-test", CONFIG);
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    entities = new Entities();
    watch();
    ClusterSharding sharding = ClusterSharding.get(testKit.system());
    sharding.init(Entity.of(Job.TYPE_KEY, ctx -> entities.entity(ctx.getEntityId())));
    // Sharding delivers once the node is up: its first answer says it is.
    TestProbe<Job.GetReply> answer = testKit.createTestProbe();
    sharding.entityRefFor(Job.TYPE_KEY, "warm-up").tell(new Job.Get(false, answer.ref()));
    answer.expectMessageClass(Job.NotFound.class, Duration.ofSeconds(30));
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        JobSupervisor.create(sharding, ASK_TIMEOUT, JobRegistry.DEFAULT_KEY_RETENTION));
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  /** A probe that gets every command the stand-in entities receive from now on. */
  private TestProbe<Seen> watch() {
    TestProbe<Seen> probe = testKit.createTestProbe();
    entities.seen = probe.ref();
    return probe;
  }

  private static JobRequest request(String name, String... paths) {
    List<String> urls = java.util.Arrays.stream(paths).map(p -> "http://127.0.0.1" + p).toList();
    return new JobRequest(name, urls, 2, 10_000,
        new FetchPolicy(0, 5, 1_000_000, false, Map.of()), Map.of());
  }

  private EventSourcedBehaviorTestKit.CommandResultWithReply<JobSupervisor.Command,
      JobSupervisor.Event, JobRegistry, JobSupervisor.SubmitReply> submit(JobRequest request,
      String key) {
    return kit.runCommand(r -> new JobSupervisor.Submit(request, key, r));
  }

  private String submitted(JobRequest request, String key) {
    var reply = assertInstanceOf(JobSupervisor.Submitted.class, submit(request, key).reply());
    assertFalse(reply.replayed());
    return reply.summary().id();
  }

  private List<Object> stored() {
    return kit.persistenceTestKit().persistedInStorage("job-supervisor");
  }

  private List<String> unfinished() {
    return kit.getState().unfinished().stream().map(JobRegistry.Entry::id).toList();
  }

  /** The jobs of the next {@code n} commands the entities get, all of them wake-ups. */
  private static Set<String> wakes(TestProbe<Seen> seen, int n) {
    List<Seen> got = seen.receiveSeveralMessages(n);
    assertTrue(got.stream().allMatch(s -> s.command() == Job.Wake.class), got::toString);
    return Set.copyOf(got.stream().map(Seen::id).toList());
  }

  private void awaitStored(Object event) {
    testKit.createTestProbe().awaitAssert(() -> {
      assertTrue(stored().contains(event), stored()::toString);
      return null;
    });
  }

  @Test
  void theSameRequestUnderTheSameKeyIsAnsweredWithTheSameJobEvenAfterARestart() {
    TestProbe<Seen> seen = watch();
    var first = submit(request("nightly", "/a", "/b"), "key-1");
    var accepted = assertInstanceOf(JobSupervisor.Submitted.class, first.reply());
    assertFalse(accepted.replayed());
    String id = accepted.summary().id();
    var registered = assertInstanceOf(JobSupervisor.JobRegistered.class, first.event());
    assertEquals(List.of(id, "key-1"), List.of(registered.id(), registered.idempotencyKey()));

    for (int round = 0; round < 2; round++) {
      var again = submit(request("nightly", "/a", "/b"), "key-1");
      var replayed = assertInstanceOf(JobSupervisor.Submitted.class, again.reply());
      assertTrue(replayed.replayed(), "answered as a replay");
      assertEquals(id, replayed.summary().id());
      assertTrue(again.events().isEmpty(), "nothing stored for a replay");
      kit.restart();
    }
    assertEquals(1, stored().size(), "one job registered: " + stored());
    List<Seen> got = seen.receiveSeveralMessages(5); // Start, Get, Wake, Get, Wake
    assertEquals(1, got.stream().filter(s -> s.command() == Job.Start.class).count(),
        "the entity was started once: " + got);
    assertTrue(got.stream().allMatch(s -> s.id().equals(id)), got::toString);
  }

  @Test
  void withoutAKeyTheSameRequestTwiceIsTwoJobs() {
    String one = submitted(request("twice", "/a"), null);
    String two = submitted(request("twice", "/a"), null);
    assertNotEquals(one, two);
    assertEquals(2, stored().size());
    assertEquals(List.of(one, two), unfinished());
  }

  @Test
  void aKeyUsedAgainWithAnotherRequestIsRefusedWithTheFirstJobsId() {
    TestProbe<Seen> seen = watch();
    JobRequest original = request("report", "/a", "/b");
    String id = submitted(original, "key-2");
    seen.expectMessageClass(Seen.class); // its Start
    List<JobRequest> others = List.of(request("report", "/a", "/c"), request("other", "/a", "/b"),
        new JobRequest("report", original.urls(), 3, original.timeoutMs(), original.policy(),
            Map.of()));
    for (JobRequest other : others) {
      var result = submit(other, "key-2");
      assertEquals(new JobSupervisor.KeyReused(id), result.reply(), other::toString);
      assertTrue(result.events().isEmpty());
    }
    seen.expectNoMessage(Duration.ofMillis(300)); // no entity was started nor asked
    assertEquals(List.of(id), unfinished());
    assertEquals(1, stored().size());
  }

  @Test
  void aJobItsEntityNeverStoredIsAbandonedAtTheNextStartAndItsKeyFreed() {
    JobRequest lost = request("lost", "/a");
    JobRequest late = request("late", "/b");
    entities.losing.add("lost");
    entities.unconfirmed.add("late");
    for (JobRequest r : List.of(lost, late)) {
      var reply = assertInstanceOf(JobSupervisor.NotSubmitted.class,
          submit(r, "key-" + r.name()).reply());
      assertTrue(reply.reason().contains("did not confirm"), reply.reason());
    }
    var registered = stored().stream().map(JobSupervisor.JobRegistered.class::cast).toList();
    assertEquals(2, registered.size(), "registered before the entity was asked");
    String lostId = registered.get(0).id();
    String lateId = registered.get(1).id();

    TestProbe<Seen> seen = watch();
    kit.restart();
    assertEquals(Set.of(lostId, lateId), wakes(seen, 2));
    awaitStored(new JobSupervisor.JobAbandoned(lostId));
    assertEquals(List.of(lateId), unfinished(), "the job stored late is kept");
    assertNull(kit.getState().byIdempotencyKey("key-lost"));

    entities.losing.clear();
    String again = submitted(lost, "key-lost");
    assertNotEquals(lostId, again, "the freed key accepts the request anew");
    var late2 = assertInstanceOf(JobSupervisor.Submitted.class,
        submit(late, "key-late").reply());
    assertTrue(late2.replayed(), "the job stored late was accepted after all");
    assertEquals(lateId, late2.summary().id());
    assertEquals(1, stored().stream().filter(JobSupervisor.JobAbandoned.class::isInstance).count(),
        stored()::toString);

    seen = watch();
    kit.restart();
    assertEquals(Set.of(lateId, again), wakes(seen, 2), "an abandoned job is not woken again");
  }

  @Test
  void theSameRequestAgainStoresAJobItsEntityLostAsThatJobWithoutARestart() {
    JobRequest lost = request("lost-then-retried", "/c");
    entities.losing.add("lost-then-retried");
    assertInstanceOf(JobSupervisor.NotSubmitted.class, submit(lost, "key-retry").reply());
    String id = ((JobSupervisor.JobRegistered) stored().get(0)).id();
    assertNull(entities.stored.get(id), "the entity lost the Start");

    // The client retries with the same key once the store is back: the same job is stored.
    entities.losing.clear();
    var retried = assertInstanceOf(JobSupervisor.Submitted.class,
        submit(lost, "key-retry").reply());
    assertTrue(retried.replayed());
    assertEquals(id, retried.summary().id(), "the job registered under the key, not a new one");
    assertEquals(id, entities.stored.get(id).id());
    assertEquals(1, stored().size(), "nothing registered twice: " + stored());
    var again = assertInstanceOf(JobSupervisor.Submitted.class,
        submit(lost, "key-retry").reply());
    assertEquals(id, again.summary().id());
  }

  @Test
  void afterARestartOnlyUnfinishedJobsAreWokenAndOneThatEndedMeanwhileIsRecorded() {
    String running = submitted(request("running", "/a"), null);
    String endedUnnoticed = submitted(request("ended-unnoticed", "/b"), null);
    String endedKnown = submitted(request("ended-known", "/c"), null);
    kit.runCommand(new JobSupervisor.JobEnded(entities.end(endedKnown)));
    JobSummary done = entities.end(endedUnnoticed);

    TestProbe<Seen> seen = watch();
    kit.restart();
    assertEquals(Set.of(running, endedUnnoticed), wakes(seen, 2));
    seen.expectNoMessage(Duration.ofMillis(500)); // the job known to have ended is not woken
    awaitStored(new JobSupervisor.JobRecordedAsEnded(done));
    assertEquals(List.of(running), unfinished());

    seen = watch();
    kit.restart();
    assertEquals(Set.of(running), wakes(seen, 1));
    seen.expectNoMessage(Duration.ofMillis(500));
  }

  @Test
  void aJobThatDoesNotAnswerItsWakeUpIsWokenAgainAfterABackoffAndNotDropped() {
    String id = submitted(request("slow-to-load", "/a"), null);
    entities.silent.add(id);
    TestProbe<Seen> seen = watch();
    kit.restart();
    Seen first = seen.expectMessageClass(Seen.class);
    assertEquals(Job.Wake.class, first.command());
    // It loads at last, and had ended meanwhile.
    JobSummary done = entities.end(id);
    entities.silent.remove(id);

    Seen second = seen.expectMessageClass(Seen.class,
        ASK_TIMEOUT.plus(FIRST_BACKOFF).plusSeconds(20));
    assertEquals(new Seen(id, Job.Wake.class, second.nanos()), second);
    long gapMs = (second.nanos() - first.nanos()) / 1_000_000;
    assertTrue(gapMs >= FIRST_BACKOFF.toMillis(),
        "woken again only after the backoff: " + gapMs + " ms after the first wake-up");
    seen.awaitAssert(() -> {
      assertEquals(List.of(JobSupervisor.JobRegistered.class,
              JobSupervisor.JobRecordedAsEnded.class),
          stored().stream().map(Object::getClass).toList(), "not abandoned: " + stored());
      return null;
    });
    assertEquals(done, ((JobSupervisor.JobRecordedAsEnded) stored().get(1)).summary());
    assertTrue(unfinished().isEmpty());
  }
}
