package io.fetchrunner.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fetchrunner.CborSerializable;
import io.fetchrunner.Secrets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
  /** Counts, summed latency, runs and wall time: as the read side keeps them. */
  private JobFigures figures = new JobFigures();
  private JobStatus status;
  /** A completed job's verdict against its thresholds (derived, never stored); or null. */
  private Verdict verdict;
  private Instant finishedAt;
  /**
   * Where fetching had started in the current run, per host ({@link DispatchHosts} numbers):
   * how many of each host's URLs, in its index order ({@link Job.HostsStarted}); hosts past
   * its end have none. Null while the run's only record is {@link #startedUpTo}.
   */
  private int[] startedPerHost;
  /** The same as one prefix of the URL list: how runs of earlier versions stored it. */
  private int startedUpTo;
  /** URL indexes in the order their results were fetched and recorded (not cancellations). */
  private final int[] order;
  private int fetchedCount;
  /** Webhook deliveries, by id (ids are 0, 1, 2, ... in the order they were queued). */
  private final List<Notification> notifications = new ArrayList<>();

  private JobState(JobSpec spec) {
    this.spec = spec;
    this.results = spec == null ? new UrlResult[0] : new UrlResult[spec.urls().size()];
    this.order = new int[results.length];
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
    return results.length - figures.done();
  }

  public boolean isPending(int index) {
    return results[index] == null;
  }

  public int runs() {
    return figures.runs();
  }

  /** Applies one event. Returns the state to continue with (a new one only for the first). */
  public JobState apply(Job.Event event) {
    // Java 17 has no pattern switch; the event types are a sealed interface of records.
    if (event instanceof Job.JobSubmitted e) {
      return new JobState(e.spec());
    } else if (event instanceof Job.RunStarted e) {
      startedUpTo = 0;
      startedPerHost = null;
      figures.runStarted(e.at(), e.refetching());
    } else if (event instanceof Job.FetchesStarted e) {
      startedUpTo = e.upTo(); // grows within a run, except when a drain takes back a plan
      startedPerHost = null;
    } else if (event instanceof Job.HostsStarted e) {
      startedPerHost(e.upTo());
    } else if (event instanceof Job.UrlsFetched e) {
      for (Job.Outcome o : e.results()) {
        if (record(o.index(), o.result())) order[fetchedCount++] = o.index();
      }
      figures.resultsAt(e.at());
    } else if (event instanceof Job.UrlFetched e) {
      if (record(e.index(), e.result())) order[fetchedCount++] = e.index();
      figures.resultsAt(e.at());
    } else if (event instanceof Job.JobCompleted e) {
      status = JobStatus.COMPLETED;
      verdict = verdictWith(List.of(), null);
      finishedAt = e.at();
    } else if (event instanceof Job.NotificationQueued e) {
      if (e.id() == notifications.size()) {
        notifications.add(new Notification(e.id(), e.event(), e.index(), Notification.PENDING,
            0, null, null, e.at(), null));
      }
    } else if (event instanceof Job.NotificationAttempted e) {
      Notification n = notification(e.id());
      if (n != null && n.pending()) {
        notifications.set(e.id(), n.attempted(e.status(), e.error(), e.delivered(), e.at()));
      }
    } else if (event instanceof Job.NotificationAbandoned e) {
      Notification n = notification(e.id());
      if (n != null && n.pending()) notifications.set(e.id(), n.abandoned(e.at()));
    } else if (event instanceof Job.JobCancelled e) {
      for (int i = 0; i < results.length; i++) {
        if (results[i] == null) record(i, UrlResult.cancelled());
      }
      figures.resultsAt(e.at());
      status = JobStatus.CANCELLED;
      finishedAt = e.at();
    }
    return this;
  }

  /** Records a URL's final result; false if it had one (exactly one per URL). */
  private boolean record(int index, UrlResult result) {
    if (results[index] != null) return false;
    results[index] = result;
    figures.count(result);
    return true;
  }

  private Notification notification(int id) {
    return id >= 0 && id < notifications.size() ? notifications.get(id) : null;
  }

  /** The webhook deliveries so far (an immutable copy). */
  public List<Notification> notifications() {
    return List.copyOf(notifications);
  }

  /** The oldest delivery still pending, or null. */
  public Notification nextPendingNotification() {
    for (Notification n : notifications) if (n.pending()) return n;
    return null;
  }

  public int notificationCount() {
    return notifications.size();
  }

  /** The result of URL {@code index} as shown, for a webhook's payload. */
  public JobView.Entry shownEntry(int index) {
    return entry(index);
  }

  /** How many URLs have a fetched result: the number of the latest (see {@link #fetched}). */
  /**
   * Whether recording {@code batch} takes the recorded results past a multiple of
   * {@code every}. Pekko asks before the batch is applied when it is persisted with other
   * events, and after when it is persisted alone, so both are handled: the batch's results are
   * in this state or not yet.
   */
  public boolean snapshotDue(Job.UrlsFetched batch, int every) {
    if (batch.results().isEmpty()) return false;
    boolean applied = !isPending(batch.results().get(0).index());
    int after = applied ? fetchedCount : fetchedCount + batch.results().size();
    return after / every > (after - batch.results().size()) / every;
  }

  public int fetchedCount() {
    return fetchedCount;
  }

  /**
   * The fetched results numbered {@code after + 1} up to {@code after + max}, in the order they
   * were recorded (number n is the n-th result recorded; the numbers stay the same across
   * restarts): what an event stream sends, and resumes from.
   */
  public List<JobFeed.Numbered> fetched(int after, int max) {
    List<JobFeed.Numbered> out = new ArrayList<>();
    for (int n = Math.max(0, after); n < fetchedCount && out.size() < max; n++) {
      out.add(new JobFeed.Numbered(n + 1, order[n], entry(order[n])));
    }
    return out;
  }

  /** Applies the cursors of a {@link Job.HostsStarted}: the hosts it names move. */
  private void startedPerHost(Map<Integer, Integer> upTo) {
    if (startedPerHost == null) {
      // The run's start was stored as a prefix by an earlier version: the same, per host.
      startedPerHost = startedUpTo > 0 ? DispatchHosts.of(spec).below(startedUpTo) : new int[0];
    }
    int last = upTo.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
    if (last >= startedPerHost.length) {
      // Sized by the hosts dispatch reached, so replaying needs no grouping of the URLs.
      startedPerHost = Arrays.copyOf(startedPerHost, Math.max(last + 1,
          Math.min(2 * startedPerHost.length, results.length)));
    }
    upTo.forEach((host, n) -> startedPerHost[host] = n);
  }

  /**
   * URLs whose fetch started in the current run and that have no result: after a stop, they
   * were in flight and will be fetched again.
   */
  public int inFlightAtStop() {
    return isEmpty() ? 0 : inFlightAtStop(DispatchHosts.of(spec));
  }

  /** {@link #inFlightAtStop()} with the job's hosts at hand. */
  int inFlightAtStop(DispatchHosts hosts) {
    int[] started = startedPerHost != null ? startedPerHost : hosts.below(startedUpTo);
    int n = 0;
    for (int h = 0; h < Math.min(started.length, hosts.count()); h++) {
      for (int rank = 0; rank < Math.min(started[h], hosts.size(h)); rank++) {
        if (results[hosts.url(h, rank)] == null) n++;
      }
    }
    return n;
  }

  /** Time spent running: each run from its start to its last recorded result. */
  public long wallMs() {
    return figures.wallMs();
  }

  /**
   * The verdict the job gets once the {@code fresh} results (not recorded yet) are, at
   * {@code at}: its thresholds against its figures and its URLs' latencies; null without
   * thresholds.
   */
  public Verdict verdictWith(List<Job.Outcome> fresh, Instant at) {
    Thresholds thresholds = spec.thresholds();
    if (thresholds == null || thresholds.isEmpty()) return null;
    JobFigures f = this.figures;
    JobFigures figures = JobFigures.restored(f.succeeded(), f.failed(), f.cancelled(),
        f.sumLatencyMs(), f.runs(), f.refetched(), f.closedWallMs(), f.runStartedAt(),
        f.lastResultAt());
    long[] latencies = new long[results.length];
    int n = 0;
    for (UrlResult r : results) {
      if (r != null && r.state() != UrlState.CANCELLED) latencies[n++] = r.latencyMs();
    }
    for (Job.Outcome o : fresh) {
      if (results[o.index()] != null) continue;
      figures.count(o.result().state(), o.result().latencyMs());
      if (o.result().state() != UrlState.CANCELLED) latencies[n++] = o.result().latencyMs();
    }
    if (!fresh.isEmpty()) figures.resultsAt(at);
    return Verdict.judge(thresholds, figures, Arrays.copyOf(latencies, n));
  }

  public JobSummary summary() {
    JobFigures f = figures;
    return new JobSummary(spec.id(), spec.name(), status, total(), f.succeeded(), f.failed(),
        f.cancelled(), pending(), spec.submittedAt(), finishedAt, f.wallMs(), f.sumLatencyMs(),
        f.speedup(), Math.max(0, f.runs() - 1), f.refetched(), spec.rerunOf(), spec.scheduleId())
        .withVerdict(verdict).withDelayed(f.delayed());
  }

  /**
   * The request that runs this job again: its FAILED URLs when {@code onlyFailed}, else all
   * its URLs, in their order, with the job's name, options, per-URL requests and webhook, and
   * {@code rerunOf} this job. Credentials in URLs and headers are kept (they are not shown).
   */
  public JobRequest rerun(boolean onlyFailed) {
    List<String> urls = new ArrayList<>();
    Map<Integer, UrlRequest> requests = new HashMap<>();
    for (int i = 0; i < results.length; i++) {
      if (onlyFailed && (results[i] == null || results[i].state() != UrlState.FAILED)) continue;
      UrlRequest own = spec.requests().get(i);
      if (own != null) requests.put(urls.size(), own);
      urls.add(spec.urls().get(i));
    }
    return new JobRequest(spec.name(), List.copyOf(urls), spec.concurrency(), spec.timeoutMs(),
        spec.policy(), requests, spec.webhook(), spec.id(), spec.thresholds());
  }

  /** The summary and every URL's result, as shown: credentials redacted ({@link Secrets}). */
  public JobView view() {
    List<JobView.Entry> entries = new ArrayList<>(results.length);
    for (int i = 0; i < results.length; i++) entries.add(entry(i));
    return new JobView(summary(), entries, notifications());
  }

  /** URL {@code i} and its result as shown (credentials redacted). */
  private JobView.Entry entry(int i) {
    UrlResult r = results[i] == null ? null : results[i].shown();
    String url = Secrets.url(spec.urls().get(i));
    return r == null
        ? new JobView.Entry(url, UrlState.PENDING, null, null, null, 0, null, null, null, null,
            List.of(), List.of(), null, null, null, null)
        : new JobView.Entry(url, r.state(), r.httpStatus(), r.bytes(), r.latencyMs(),
            r.attempts(), r.error(), r.errorKind(), r.contentType(), r.sha256(), r.redirects(),
            r.earlierAttempts(), r.startedAt(), r.etag(), r.lastModified(), r.notModified());
  }

  @JsonValue
  public JobSnapshot toSnapshot() {
    return new JobSnapshot(spec, Arrays.asList(results.clone()), status, finishedAt,
        figures.closedWallMs(), figures.runStartedAt(), figures.lastResultAt(), figures.runs(),
        // An earlier version reading startedUpTo 0 counts nothing as refetched: it is never
        // more than what was started, which the per-host form cannot say as one prefix.
        startedPerHost == null ? startedUpTo : 0, figures.refetched(),
        Arrays.stream(order, 0, fetchedCount).boxed().toList(), notifications(),
        startedPerHost == null ? null : Arrays.stream(startedPerHost).boxed().toList());
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
    if (s.notifications() != null) state.notifications.addAll(s.notifications());
    if (s.fetchedOrder() != null) {
      for (int index : s.fetchedOrder()) state.order[state.fetchedCount++] = index;
    } else if (s.results() != null) {
      // A snapshot of an earlier version: its results numbered in URL order.
      for (int i = 0; i < s.results().size(); i++) {
        UrlResult r = s.results().get(i);
        if (r != null && (s.status() != JobStatus.CANCELLED || r.state() != UrlState.CANCELLED)) {
          state.order[state.fetchedCount++] = i;
        }
      }
    }
    if (s.status() != null) state.status = s.status();
    state.finishedAt = s.finishedAt();
    // The counts were rebuilt from the results above; the times come from the snapshot.
    JobFigures counted = state.figures;
    state.figures = JobFigures.restored(counted.succeeded(), counted.failed(),
        counted.cancelled(), counted.sumLatencyMs(), s.runs(), s.refetched(), counted.delayed(),
        s.closedWallMs(),
        s.runStartedAt(), s.lastResultAt());
    state.startedUpTo = s.startedUpTo();
    if (s.startedPerHost() != null) {
      state.startedPerHost = s.startedPerHost().stream().mapToInt(Integer::intValue).toArray();
    }
    // Derived, never stored: judged again once the figures are those of the snapshot.
    if (state.status == JobStatus.COMPLETED) state.verdict = state.verdictWith(List.of(), null);
    return state;
  }
}
