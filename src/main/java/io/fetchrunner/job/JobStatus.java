package io.fetchrunner.job;

/** Where a job stands. RUNNING until every URL has a final result or the job is cancelled. */
public enum JobStatus {
  RUNNING, COMPLETED, CANCELLED
}
