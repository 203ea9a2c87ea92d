package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Instant;

/**
 * A job's figures without its per-URL results. {@code wallMs} runs from the first request
 * sent to the last result recorded, summed over runs (downtime between a crash and the
 * resume is not counted); {@code sumLatencyMs} is what fetching the URLs one by one would
 * have cost; {@code speedup} is their ratio (null until a result is recorded);
 * {@code resumes} counts restarts of the job, {@code refetched} the URLs fetched again
 * because they were in flight when the service stopped; {@code rerunOf} is the job this one
 * re-runs (POST /jobs/{id}/rerun), or null.
 */
public record JobSummary(
    String id, String name, JobStatus state, int total, int succeeded, int failed,
    int cancelled, int pending, Instant submittedAt, Instant finishedAt, long wallMs,
    long sumLatencyMs, Double speedup, int resumes, int refetched, String rerunOf)
    implements CborSerializable {

  /** Not a re-run. */
  public JobSummary(String id, String name, JobStatus state, int total, int succeeded,
      int failed, int cancelled, int pending, Instant submittedAt, Instant finishedAt,
      long wallMs, long sumLatencyMs, Double speedup, int resumes, int refetched) {
    this(id, name, state, total, succeeded, failed, cancelled, pending, submittedAt, finishedAt,
        wallMs, sumLatencyMs, speedup, resumes, refetched, null);
  }

  public boolean finished() {
    return state != JobStatus.RUNNING;
  }
}
