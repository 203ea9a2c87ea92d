package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The supervisor's registry keeps what it needs and forgets the rest: jobs that have not ended,
 * and ended jobs accepted under an Idempotency-Key for the key's retention (24 h by default)
 * after their submission. It used to keep every job ever accepted, with its final summary, in
 * its state and in each of its snapshots.
 */
class JobRegistryTest {
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

  private static String register(JobRegistry r, Instant at, String key) {
    String id = UUID.randomUUID().toString();
    r.apply(new JobSupervisor.JobRegistered(id, "job", at, 3, key, key == null ? null : "fp"));
    return id;
  }

  private static void end(JobRegistry r, String id, Instant at) {
    r.apply(new JobSupervisor.JobRecordedAsEnded(new JobSummary(id, "job", JobStatus.COMPLETED,
        3, 3, 0, 0, 0, at, at, 10, 30, 3.0, 0, 0)));
  }

  private static int size(JobRegistry r) {
    return r.toSnapshot().entries().size();
  }

  @Test
  void aJobWithoutAKeyIsForgottenWhenItEnds() {
    JobRegistry r = new JobRegistry();
    for (int i = 0; i < 10_000; i++) {
      Instant at = T0.plusSeconds(i);
      end(r, register(r, at, null), at.plusMillis(500));
    }
    String running = register(r, T0.plusSeconds(20_000), null);
    assertEquals(1, size(r), "only the running job is kept");
    assertEquals(List.of(running), r.unfinished().stream().map(JobRegistry.Entry::id).toList());
  }

  @Test
  void aKeyIsRememberedForItsRetentionThenForgotten() {
    JobRegistry r = new JobRegistry();
    String keyed = register(r, T0, "run-1");
    end(r, keyed, T0.plusSeconds(1));
    end(r, register(r, T0.plusSeconds(3600), null), T0.plusSeconds(3601));
    assertNotNull(r.byIdempotencyKey("run-1"), "an hour later the key still finds its job");
    assertEquals(keyed, r.byIdempotencyKey("run-1").id());

    register(r, T0.plus(Duration.ofHours(24)).plusSeconds(1), null);
    assertNull(r.byIdempotencyKey("run-1"), "a day later the key is forgotten");
    assertEquals(1, size(r));
  }

  @Test
  void aRunningJobIsKeptWhateverItsAgeAndForgottenOnceItEndsPastItsRetention() {
    JobRegistry r = new JobRegistry();
    String old = register(r, T0, "slow");
    for (int day = 1; day <= 3; day++) {
      end(r, register(r, T0.plus(Duration.ofDays(day)), null), T0.plus(Duration.ofDays(day)));
    }
    assertEquals(old, r.byIdempotencyKey("slow").id(), "running: kept, and its key with it");
    end(r, old, T0.plus(Duration.ofDays(3)));
    register(r, T0.plus(Duration.ofDays(4)), null);
    assertNull(r.byIdempotencyKey("slow"));
    assertEquals(1, size(r));
  }

  @Test
  void anAbandonedJobIsForgottenAndFreesItsKey() {
    JobRegistry r = new JobRegistry();
    String abandoned = register(r, T0, "k");
    r.apply(new JobSupervisor.JobAbandoned(abandoned));
    assertNull(r.byIdempotencyKey("k"));
    assertEquals(0, size(r));
    String again = register(r, T0.plusSeconds(1), "k");
    assertEquals(again, r.byIdempotencyKey("k").id());
  }

  @Test
  void aSnapshotOfEveryJobEverAcceptedLoadsWithoutTheEndedOnes() {
    var summary = new JobSummary("x", "job", JobStatus.COMPLETED, 3, 3, 0, 0, 0, T0, T0, 10, 30,
        3.0, 0, 0);
    var older = new JobRegistry.Snapshot(List.of(
        new JobRegistry.Entry("a", "job", T0, 3, summary, false, null, null),
        new JobRegistry.Entry("b", "job", T0, 3, null, true, null, null),
        new JobRegistry.Entry("c", "job", T0, 3, summary, false, "key-c", "fp"),
        new JobRegistry.Entry("d", "job", T0, 3, null, false, null, null)));
    JobRegistry r = JobRegistry.fromSnapshot(older);
    assertEquals(List.of("c", "d"),
        r.toSnapshot().entries().stream().map(JobRegistry.Entry::id).toList());
    assertEquals("c", r.byIdempotencyKey("key-c").id());
    assertEquals(List.of("d"), r.unfinished().stream().map(JobRegistry.Entry::id).toList());
  }
}
