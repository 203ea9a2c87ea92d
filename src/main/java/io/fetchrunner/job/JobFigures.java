package io.fetchrunner.job;

import java.time.Duration;
import java.time.Instant;

/**
 * A job's counts and times, kept the same way by the job itself ({@link JobState}) and by the
 * read side's job row (history.HistoryWriter), so the live view and the history cannot
 * disagree: results by state, summed latency, runs, and the wall time (each run from its start
 * to its last recorded result, summed over runs). Mutable; each owner keeps its own.
 */
public final class JobFigures {
  private int succeeded;
  private int failed;
  private int cancelled;
  private long sumLatencyMs;
  private int runs;
  private int refetched;
  /** URLs whose requests waited for a host backed off (429, 503, failures in a row). */
  private int delayed;
  /** Wall time of the runs before the current one. */
  private long closedWallMs;
  private Instant runStartedAt;
  private Instant lastResultAt;

  public JobFigures() {}

  /** Figures as stored (a snapshot, a read-side row), without delayed URLs. */
  public static JobFigures restored(int succeeded, int failed, int cancelled, long sumLatencyMs,
      int runs, int refetched, long closedWallMs, Instant runStartedAt, Instant lastResultAt) {
    return restored(succeeded, failed, cancelled, sumLatencyMs, runs, refetched, 0,
        closedWallMs, runStartedAt, lastResultAt);
  }

  /** Figures as stored (a snapshot, a read-side row). */
  public static JobFigures restored(int succeeded, int failed, int cancelled, long sumLatencyMs,
      int runs, int refetched, int delayed, long closedWallMs, Instant runStartedAt,
      Instant lastResultAt) {
    JobFigures f = new JobFigures();
    f.delayed = delayed;
    f.succeeded = succeeded;
    f.failed = failed;
    f.cancelled = cancelled;
    f.sumLatencyMs = sumLatencyMs;
    f.runs = runs;
    f.refetched = refetched;
    f.closedWallMs = closedWallMs;
    f.runStartedAt = runStartedAt;
    f.lastResultAt = lastResultAt;
    return f;
  }

  /** A run starts at {@code at}; {@code refetching} URLs were in flight when the last stopped. */
  public void runStarted(Instant at, int refetching) {
    closedWallMs = wallMs();
    runStartedAt = at;
    lastResultAt = null;
    runs++;
    refetched += refetching;
  }

  /** One URL's final result, and whether it waited for a backed-off host. */
  public void count(UrlResult result) {
    count(result.state(), result.latencyMs());
    if (Boolean.TRUE.equals(result.delayed())) delayed++;
  }

  /** One URL's final result. */
  public void count(UrlState state, long latencyMs) {
    switch (state) {
      case SUCCEEDED -> succeeded++;
      case FAILED -> failed++;
      case CANCELLED -> cancelled++;
      case PENDING -> throw new IllegalArgumentException("a recorded result cannot be PENDING");
    }
    sumLatencyMs += latencyMs;
  }

  /** Results were recorded (or the job was cancelled) at {@code at}: the run's wall so far. */
  public void resultsAt(Instant at) {
    lastResultAt = at;
  }

  /** A cancelled job of {@code total} URLs: every URL without a result counts as cancelled. */
  public void cancelRest(int total) {
    cancelled = total - succeeded - failed;
  }

  /** Time spent running: each run from its start to its last recorded result. */
  public long wallMs() {
    long current = runStartedAt == null || lastResultAt == null
        ? 0 : Math.max(0, Duration.between(runStartedAt, lastResultAt).toMillis());
    return closedWallMs + current;
  }

  /** The summed latencies over the wall time, two decimals; null while either is 0. */
  public Double speedup() {
    return speedup(sumLatencyMs, wallMs());
  }

  /** Fetching one by one would take {@code sumLatencyMs}; it took {@code wallMs}. */
  public static Double speedup(long sumLatencyMs, long wallMs) {
    return wallMs > 0 && sumLatencyMs > 0
        ? Math.round(sumLatencyMs * 100.0 / wallMs) / 100.0 : null;
  }

  public int succeeded() {
    return succeeded;
  }

  public int failed() {
    return failed;
  }

  public int cancelled() {
    return cancelled;
  }

  /** URLs with a result. */
  public int done() {
    return succeeded + failed + cancelled;
  }

  public long sumLatencyMs() {
    return sumLatencyMs;
  }

  public int runs() {
    return runs;
  }

  public int delayed() {
    return delayed;
  }

  public int refetched() {
    return refetched;
  }

  public long closedWallMs() {
    return closedWallMs;
  }

  public Instant runStartedAt() {
    return runStartedAt;
  }

  public Instant lastResultAt() {
    return lastResultAt;
  }
}
