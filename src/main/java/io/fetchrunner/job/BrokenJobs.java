package io.fetchrunner.job;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Jobs on this node whose stored events cannot be read back (a corrupt or incompatible
 * event): they cannot run or answer, so the API reports them instead of waiting on them.
 */
public final class BrokenJobs {
  private final Map<String, String> reasons = new ConcurrentHashMap<>();

  void broken(String jobId, String reason) {
    reasons.put(jobId, reason);
  }

  void recovered(String jobId) {
    reasons.remove(jobId);
  }

  public Optional<String> reason(String jobId) {
    return Optional.ofNullable(reasons.get(jobId));
  }
}
