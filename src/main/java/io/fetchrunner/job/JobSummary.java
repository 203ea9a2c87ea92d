package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * A job's figures without its per-URL results. {@code wallMs} runs from the first request
 * sent to the last result recorded, summed over runs (downtime between a crash and the
 * resume is not counted); {@code sumLatencyMs} is what fetching the URLs one by one would
 * have cost; {@code speedup} is their ratio (null until a result is recorded);
 * {@code resumes} counts restarts of the job, {@code refetched} the URLs fetched again
 * because they were in flight when the service stopped; {@code rerunOf} is the job this one
 * re-runs (POST /jobs/{id}/rerun), or null; {@code scheduleId} the schedule that submitted it,
 * or null; {@code verdict} (PASSED or FAILED) and
 * {@code checks} judge a completed job against its thresholds ({@link Verdict}), null for a
 * job without thresholds or not completed; {@code delayed} counts the URLs whose requests
 * waited for a host backed off (429, 503, failures in a row); null in summaries stored before
 * it was counted.
 */
public record JobSummary(
    String id, String name, JobStatus state, int total, int succeeded, int failed,
    int cancelled, int pending, Instant submittedAt, Instant finishedAt, long wallMs,
    long sumLatencyMs, Double speedup, int resumes, int refetched, String rerunOf,
    String scheduleId, String verdict, List<Verdict.Check> checks, Integer delayed)
    implements CborSerializable {

  public JobSummary(
      String id, String name, JobStatus state, int total, int succeeded, int failed,
      int cancelled, int pending, Instant submittedAt, Instant finishedAt, long wallMs,
      long sumLatencyMs, Double speedup, int resumes, int refetched, String rerunOf,
      String scheduleId, String verdict, List<Verdict.Check> checks) {
    this(id, name, state, total, succeeded, failed, cancelled, pending, submittedAt, finishedAt,
        wallMs, sumLatencyMs, speedup, resumes, refetched, rerunOf, scheduleId, verdict, checks,
        null);
  }

  /** With the count of URLs delayed by host back-off (a running or loaded job knows it). */
  public JobSummary withDelayed(int count) {
    return new JobSummary(id, name, state, total, succeeded, failed, cancelled, pending,
        submittedAt, finishedAt, wallMs, sumLatencyMs, speedup, resumes, refetched, rerunOf,
        scheduleId, verdict, checks, count);
  }

  /** Without a verdict (no thresholds, or not completed). */
  public JobSummary(String id, String name, JobStatus state, int total, int succeeded,
      int failed, int cancelled, int pending, Instant submittedAt, Instant finishedAt,
      long wallMs, long sumLatencyMs, Double speedup, int resumes, int refetched,
      String rerunOf, String scheduleId) {
    this(id, name, state, total, succeeded, failed, cancelled, pending, submittedAt, finishedAt,
        wallMs, sumLatencyMs, speedup, resumes, refetched, rerunOf, scheduleId, null, null);
  }

  /** With {@code verdict} (null: none) in its two fields. */
  public JobSummary withVerdict(Verdict v) {
    return v == null ? this : new JobSummary(id, name, state, total, succeeded, failed,
        cancelled, pending, submittedAt, finishedAt, wallMs, sumLatencyMs, speedup, resumes,
        refetched, rerunOf, scheduleId, v.result(), v.checks(), delayed);
  }

  /** Not a re-run. */
  public JobSummary(String id, String name, JobStatus state, int total, int succeeded,
      int failed, int cancelled, int pending, Instant submittedAt, Instant finishedAt,
      long wallMs, long sumLatencyMs, Double speedup, int resumes, int refetched) {
    this(id, name, state, total, succeeded, failed, cancelled, pending, submittedAt, finishedAt,
        wallMs, sumLatencyMs, speedup, resumes, refetched, null, null, null, null);
  }

  public boolean finished() {
    return state != JobStatus.RUNNING;
  }
}
