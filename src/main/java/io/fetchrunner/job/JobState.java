package io.fetchrunner.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fetchrunner.CborSerializable;
import io.fetchrunner.Secrets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The state of one job, rebuilt from its events.
 *
 * <p>Deliberately mutable inside: a job may have 100,000 URLs and applying a result must
 * be O(1), so results live in an array updated in place rather than copied per event. The
 * state never leaves the job actor: replies are immutable views ({@link #summary()},
 * {@link #view()}), and snapshots are immutable copies ({@link #toSnapshot()}), made on the
 * actor's thread before the snapshot store serializes them on its own.
 */
public final class JobState implements CborSerializable {
  private final JobSpec spec;
  private final UrlResult[] results;
  private int succeeded;
  private int failed;
  private int cancelled;
  private long sumLatencyMs;
  private JobStatus status;
  private Instant finishedAt;
  private long closedWallMs;
  private Instant runStartedAt;
  private Instant lastResultAt;
  private int runs;
  private int startedUpTo;
  private int refetched;

  private JobState(JobSpec spec) {
    this.spec = spec;
    this.results = spec == null ? new UrlResult[0] : new UrlResult[spec.urls().size()];
    this.status = JobStatus.RUNNING;
  }

  public static JobState empty() {
    return new JobState(null);
  }

  public boolean isEmpty() {
    return spec == null;
  }

  public boolean isRunning() {
    return spec != null && status == JobStatus.RUNNING;
  }

  public boolean isFinished() {
    return spec != null && status != JobStatus.RUNNING;
  }

  public JobSpec spec() {
    return spec;
  }

  public int total() {
    return results.length;
  }

  public int pending() {
    return results.length - succeeded - failed - cancelled;
  }

  public boolean isPending(int index) {
    return results[index] == null;
  }

  public int runs() {
    return runs;
  }

  /** Applies one event. Returns the state to continue with (a new one only for the first). */
  public JobState apply(Job.Event event) {
    // Java 17 has no pattern switch; the event types are a sealed interface of records.
    if (event instanceof Job.JobSubmitted e) {
      return new JobState(e.spec());
    } else if (event instanceof Job.RunStarted e) {
      refetched += e.refetching();
      startedUpTo = 0;
      closedWallMs = wallMs();
      runStartedAt = e.at();
      lastResultAt = null;
      runs++;
    } else if (event instanceof Job.FetchesStarted e) {
      startedUpTo = e.upTo(); // grows within a run, except when a drain takes back a plan
    } else if (event instanceof Job.UrlFetched e) {
      record(e.index(), e.result());
      lastResultAt = e.at();
    } else if (event instanceof Job.JobCompleted e) {
      status = JobStatus.COMPLETED;
      finishedAt = e.at();
    } else if (event instanceof Job.JobCancelled e) {
      for (int i = 0; i < results.length; i++) {
        if (results[i] == null) record(i, UrlResult.cancelled());
      }
      lastResultAt = e.at();
      status = JobStatus.CANCELLED;
      finishedAt = e.at();
    }
    return this;
  }

  private void record(int index, UrlResult result) {
    if (results[index] != null) return; // exactly one final result per URL
    results[index] = result;
    switch (result.state()) {
      case SUCCEEDED -> succeeded++;
      case FAILED -> failed++;
      case CANCELLED -> cancelled++;
      case PENDING -> throw new IllegalArgumentException("a recorded result cannot be PENDING");
    }
    sumLatencyMs += result.latencyMs();
  }

  /**
   * URLs whose fetch started in the current run and that have no result: after a stop, they
   * were in flight and will be fetched again.
   */
  public int inFlightAtStop() {
    int n = 0;
    for (int i = 0; i < Math.min(startedUpTo, results.length); i++) {
      if (results[i] == null) n++;
    }
    return n;
  }

  /** Time spent running: each run from its start to its last recorded result. */
  public long wallMs() {
    long current = runStartedAt == null || lastResultAt == null
        ? 0 : Math.max(0, Duration.between(runStartedAt, lastResultAt).toMillis());
    return closedWallMs + current;
  }

  public JobSummary summary() {
    long wall = wallMs();
    Double speedup = wall > 0 && sumLatencyMs > 0
        ? Math.round(sumLatencyMs * 100.0 / wall) / 100.0 : null;
    return new JobSummary(spec.id(), spec.name(), status, total(), succeeded, failed, cancelled,
        pending(), spec.submittedAt(), finishedAt, wall, sumLatencyMs, speedup,
        Math.max(0, runs - 1), refetched);
  }

  /** The summary and every URL's result, as shown: credentials redacted ({@link Secrets}). */
  public JobView view() {
    List<JobView.Entry> entries = new ArrayList<>(results.length);
    for (int i = 0; i < results.length; i++) {
      UrlResult r = results[i] == null ? null : results[i].shown();
      String url = Secrets.url(spec.urls().get(i));
      entries.add(r == null
          ? new JobView.Entry(url, UrlState.PENDING, null, null, null, 0, null, null, null, null,
              List.of(), List.of())
          : new JobView.Entry(url, r.state(), r.httpStatus(), r.bytes(), r.latencyMs(),
              r.attempts(), r.error(), r.errorKind(), r.contentType(), r.sha256(), r.redirects(),
              r.earlierAttempts()));
    }
    return new JobView(summary(), entries);
  }

  @JsonValue
  public JobSnapshot toSnapshot() {
    return new JobSnapshot(spec, Arrays.asList(results.clone()), status, finishedAt, closedWallMs,
        runStartedAt, lastResultAt, runs, startedUpTo, refetched);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static JobState fromSnapshot(JobSnapshot s) {
    JobState state = new JobState(s.spec());
    if (s.results() != null) {
      for (int i = 0; i < s.results().size(); i++) {
        UrlResult r = s.results().get(i);
        if (r != null) state.record(i, r);
      }
    }
    if (s.status() != null) state.status = s.status();
    state.finishedAt = s.finishedAt();
    state.closedWallMs = s.closedWallMs();
    state.runStartedAt = s.runStartedAt();
    state.lastResultAt = s.lastResultAt();
    state.runs = s.runs();
    state.startedUpTo = s.startedUpTo();
    state.refetched = s.refetched();
    return state;
  }
}
