package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A completed job against its {@link Thresholds}: PASSED when every check passed, else FAILED,
 * with each check's limit and measured value. One definition, used by the job (JobState) and
 * the read side (history.HistoryWriter), so the live view and the history agree. A figure
 * that cannot be measured (no URL with a latency, no speedup) fails its check.
 */
public record Verdict(String result, List<Check> checks) implements CborSerializable {
  public static final String PASSED = "PASSED";
  public static final String FAILED = "FAILED";

  /** One threshold: its name, the limit asked for, what was measured, and whether it held. */
  public record Check(String threshold, Number limit, Number measured, boolean passed)
      implements CborSerializable {}

  public Verdict {
    checks = List.copyOf(checks);
  }

  public boolean failed() {
    return FAILED.equals(result);
  }

  /**
   * The verdict of a completed job with these figures and the latencies of its URLs with a
   * fetch result (SUCCEEDED or FAILED; any order); null when {@code thresholds} is null or
   * empty.
   */
  public static Verdict judge(Thresholds thresholds, JobFigures figures, long[] latencies) {
    if (thresholds == null || thresholds.isEmpty()) return null;
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    List<Check> checks = new ArrayList<>();
    atMost(checks, "p50LatencyMs", thresholds.p50LatencyMs(), percentile(sorted, 50));
    atMost(checks, "p95LatencyMs", thresholds.p95LatencyMs(), percentile(sorted, 95));
    atMost(checks, "p99LatencyMs", thresholds.p99LatencyMs(), percentile(sorted, 99));
    if (thresholds.failureRate() != null) {
      int fetched = figures.succeeded() + figures.failed();
      Double rate = fetched == 0 ? null
          : Math.round(figures.failed() * 10_000.0 / fetched) / 10_000.0;
      checks.add(new Check("failureRate", thresholds.failureRate(), rate,
          rate != null && rate <= thresholds.failureRate()));
    }
    atMost(checks, "wallMs", thresholds.wallMs(), figures.wallMs());
    if (thresholds.speedupAtLeast() != null) {
      Double speedup = figures.speedup();
      checks.add(new Check("speedupAtLeast", thresholds.speedupAtLeast(), speedup,
          speedup != null && speedup >= thresholds.speedupAtLeast()));
    }
    boolean passed = checks.stream().allMatch(Check::passed);
    return new Verdict(passed ? PASSED : FAILED, checks);
  }

  private static void atMost(List<Check> checks, String name, Long limit, Long measured) {
    if (limit != null) {
      checks.add(new Check(name, limit, measured, measured != null && measured <= limit));
    }
  }

  /**
   * The nearest-rank p-th percentile of ascending {@code sorted}: the value at rank
   * ⌈p × n / 100⌉ (SQL's PERCENTILE_DISC, as /stats computes it); null when empty.
   */
  public static Long percentile(long[] sorted, int p) {
    if (sorted.length == 0) return null;
    int rank = (int) Math.ceil(p * sorted.length / 100.0);
    return sorted[Math.max(1, rank) - 1];
  }
}
