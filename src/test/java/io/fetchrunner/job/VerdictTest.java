package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A completed job against its thresholds: nearest-rank percentiles, rates, unmeasurable. */
class VerdictTest {
  private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

  private static JobFigures figures(int succeeded, int failed, long sumLatency, long wallMs) {
    return JobFigures.restored(succeeded, failed, 0, sumLatency, 1, 0, 0, T0,
        T0.plusMillis(wallMs));
  }

  @Test
  void percentilesAreNearestRankAsInStats() {
    long[] sorted = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    assertEquals(50L, Verdict.percentile(sorted, 50), "rank 5 of 10");
    assertEquals(100L, Verdict.percentile(sorted, 95), "rank ceil(9.5) = 10");
    assertEquals(10L, Verdict.percentile(new long[] {10}, 99));
    assertNull(Verdict.percentile(new long[0], 50));
  }

  @Test
  void aBrokenThresholdFailsTheJobAndNamesItselfWithItsMeasuredValue() {
    // Nine fast URLs and one slow: p95 is the slow one (rank 10 of 10), p50 a fast one.
    long[] latencies = {5, 6, 7, 8, 9, 10, 11, 12, 13, 900};
    Verdict v = Verdict.judge(new Thresholds(50L, 500L, null, 0.0, 2_000L, 0.5),
        figures(10, 0, 981, 950), latencies);
    assertEquals(Verdict.FAILED, v.result());
    assertEquals(List.of(
        new Verdict.Check("p50LatencyMs", 50L, 9L, true),
        new Verdict.Check("p95LatencyMs", 500L, 900L, false),
        new Verdict.Check("failureRate", 0.0, 0.0, true),
        new Verdict.Check("wallMs", 2_000L, 950L, true),
        new Verdict.Check("speedupAtLeast", 0.5, 1.03, true)), v.checks());
  }

  @Test
  void everyCheckPassingIsPassedAndNoThresholdsIsNoVerdict() {
    long[] latencies = {100, 200};
    Verdict v = Verdict.judge(new Thresholds(null, null, 200L, 0.5, null, null),
        figures(1, 1, 300, 200), latencies);
    assertEquals(Verdict.PASSED, v.result());
    assertEquals(new Verdict.Check("failureRate", 0.5, 0.5, true), v.checks().get(1));
    assertNull(Verdict.judge(null, figures(1, 0, 1, 1), latencies));
    assertNull(Verdict.judge(new Thresholds(null, null, null, null, null, null),
        figures(1, 0, 1, 1), latencies));
  }

  @Test
  void aFigureThatCannotBeMeasuredFailsItsCheck() {
    // Every URL denied before a request: no latency, no speedup.
    Verdict v = Verdict.judge(new Thresholds(null, 100L, null, null, null, 1.0),
        figures(0, 0, 0, 0), new long[0]);
    assertEquals(Verdict.FAILED, v.result());
    assertEquals(new Verdict.Check("p95LatencyMs", 100L, null, false), v.checks().get(0));
    assertEquals(new Verdict.Check("speedupAtLeast", 1.0, null, false), v.checks().get(1));
  }
}
