package io.fetchrunner.job;

import io.fetchrunner.fetch.AttemptOutcome;
import java.util.List;

/**
 * What jobs and their workers report for GET /metrics (the service's {@code ServiceMetrics}
 * counts it). Called on the hot path: an implementation only increments what it made
 * beforehand, and allocates nothing.
 */
public interface JobMetrics {
  /** One attempt at a URL ended (each retry is one more). */
  void attempted(AttemptOutcome outcome);

  /**
   * The job stored one batch of {@code events} (its results, and the events they led to) in
   * {@code nanos}, from asking the journal until it confirmed.
   */
  void stored(List<Job.Event> events, long nanos);

  /** Reports nothing (entity tests). */
  JobMetrics NONE = new JobMetrics() {
    @Override
    public void attempted(AttemptOutcome outcome) {}

    @Override
    public void stored(List<Job.Event> events, long nanos) {}
  };
}
