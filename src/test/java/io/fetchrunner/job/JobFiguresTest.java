package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The figures both the job and the read side keep: wall time over runs, counts, speedup. */
class JobFiguresTest {
  private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

  @Test
  void wallTimeSumsEachRunFromItsStartToItsLastResult() {
    JobFigures f = new JobFigures();
    f.runStarted(T0, 0);
    assertEquals(0, f.wallMs(), "no result yet");
    f.count(UrlState.SUCCEEDED, 900);
    f.resultsAt(T0.plusMillis(1_000));
    f.count(UrlState.FAILED, 700);
    f.resultsAt(T0.plusMillis(1_500));
    assertEquals(1_500, f.wallMs());
    // The process died; the next run starts a minute later: the downtime is not wall time.
    f.runStarted(T0.plusSeconds(60), 3);
    assertEquals(1_500, f.wallMs());
    f.count(UrlState.SUCCEEDED, 400);
    f.resultsAt(T0.plusSeconds(60).plusMillis(250));
    assertEquals(1_750, f.wallMs());
    assertEquals(2, f.runs());
    assertEquals(3, f.refetched());
    assertEquals(2_000, f.sumLatencyMs());
    assertEquals(1.14, f.speedup(), "2,000 ms of latency in 1,750 ms, two decimals");
  }

  @Test
  void aCancelledJobCountsEveryUrlWithoutAResultAsCancelled() {
    JobFigures f = new JobFigures();
    f.runStarted(T0, 0);
    f.count(UrlState.SUCCEEDED, 10);
    f.count(UrlState.FAILED, 10);
    f.cancelRest(10);
    assertEquals(8, f.cancelled());
    assertEquals(10, f.done());
  }

  @Test
  void speedupIsUnknownUntilBothFiguresArePositive() {
    assertNull(JobFigures.speedup(0, 100));
    assertNull(JobFigures.speedup(100, 0));
    assertEquals(3.0, JobFigures.speedup(6_000, 2_000));
  }

  @Test
  void restoredFiguresGoOnAsTheStoredOnes() {
    JobFigures f = JobFigures.restored(5, 1, 0, 3_000, 1, 0, 0, T0, T0.plusMillis(800));
    assertEquals(800, f.wallMs());
    f.runStarted(T0.plusSeconds(10), 2);
    f.resultsAt(T0.plusSeconds(10).plusMillis(200));
    assertEquals(1_000, f.wallMs());
    assertEquals(6, f.done());
  }
}
