package io.fetchrunner.history;

import io.fetchrunner.job.JobSummary;
import io.fetchrunner.job.UrlHost;
import io.fetchrunner.job.Verdict;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Two finished runs side by side ({@code job} against {@code with}): their figures with
 * deltas, per host, and per URL, matched by URL (the n-th occurrence of a URL in one run with
 * the n-th in the other). Latency percentiles are nearest-rank over the URLs with a fetch
 * result, as /stats and the thresholds compute them; deltas are job minus with.
 */
public final class RunComparison {
  /** What happened to a URL between the runs. */
  public static final String SAME = "same";
  public static final String NEWLY_FAILING = "newly-failing";
  public static final String NEWLY_SUCCEEDING = "newly-succeeding";
  public static final String STATE_CHANGED = "state-changed";
  public static final String STATUS_CHANGED = "status-changed";
  public static final String CONTENT_CHANGED = "content-changed";
  public static final String ONLY_IN_JOB = "only-in-job";
  public static final String ONLY_IN_WITH = "only-in-with";
  static final List<String> CHANGES = List.of(SAME, NEWLY_FAILING, NEWLY_SUCCEEDING,
      STATE_CHANGED, STATUS_CHANGED, CONTENT_CHANGED, ONLY_IN_JOB, ONLY_IN_WITH);

  /** A figure in both runs; {@code delta} is job minus with (null if either is). */
  public record Pair(Number job, Number with, Number delta) {
    static Pair of(Long job, Long with) {
      return new Pair(job, with, job == null || with == null ? null : job - with);
    }

    static Pair of(Double job, Double with) {
      return new Pair(job, with, job == null || with == null ? null
          : Math.round((job - with) * 10_000) / 10_000.0);
    }
  }

  /** The runs' own figures. */
  public record Figures(Pair wallMs, Pair sumLatencyMs, Pair speedup, Pair p50LatencyMs,
      Pair p95LatencyMs, Pair p99LatencyMs, Pair failureRate, Pair failed) {}

  /** One host (host:port) in either run. */
  public record Host(String host, Pair urls, Pair p50LatencyMs, Pair p95LatencyMs,
      Pair failed) {}

  /** One URL's result as compared. */
  public record Side(String state, Integer httpStatus, Long latencyMs, String sha256,
      Boolean notModified) {}

  /** One URL: its change, its result in each run (null where it is absent), the delta. */
  public record Url(String url, String change, Side job, Side with, Long latencyDeltaMs) {}

  /** The summary answer: both runs, their figures, hosts, and how many URLs changed how. */
  public record Summary(JobSummary job, JobSummary with, Figures figures, List<Host> hosts,
      Map<String, Integer> urls) {}

  private final Summary summary;
  private final List<Url> urls;

  private RunComparison(Summary summary, List<Url> urls) {
    this.summary = summary;
    this.urls = urls;
  }

  public Summary summary() {
    return summary;
  }

  /** Every URL, in the job's order, then those only in the other run, in its order. */
  public List<Url> urls() {
    return urls;
  }

  /** Compares two finished runs from their summaries and every URL's stored result. */
  public static RunComparison of(JobSummary job, List<HistoryQueries.ResultRow> jobRows,
      JobSummary with, List<HistoryQueries.ResultRow> withRows) {
    // Match by URL, occurrence by occurrence.
    Map<String, Deque<HistoryQueries.ResultRow>> others = new HashMap<>();
    for (var r : withRows) others.computeIfAbsent(r.url(), k -> new ArrayDeque<>()).add(r);
    List<Url> urls = new ArrayList<>(jobRows.size());
    for (var r : jobRows) {
      Deque<HistoryQueries.ResultRow> same = others.get(r.url());
      var o = same == null ? null : same.poll();
      urls.add(o == null ? new Url(r.url(), ONLY_IN_JOB, side(r), null, null)
          : new Url(r.url(), change(r, o), side(r), side(o),
              r.latencyMs() == null || o.latencyMs() == null ? null
                  : r.latencyMs() - o.latencyMs()));
    }
    for (var r : withRows) {
      Deque<HistoryQueries.ResultRow> left = others.get(r.url());
      if (left != null && left.peek() == r) {
        left.poll();
        urls.add(new Url(r.url(), ONLY_IN_WITH, null, side(r), null));
      }
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String c : CHANGES) counts.put(c, 0);
    for (Url u : urls) counts.merge(u.change(), 1, Integer::sum);

    Figures figures = new Figures(Pair.of(job.wallMs(), with.wallMs()),
        Pair.of(job.sumLatencyMs(), with.sumLatencyMs()), Pair.of(job.speedup(), with.speedup()),
        Pair.of(percentile(jobRows, 50), percentile(withRows, 50)),
        Pair.of(percentile(jobRows, 95), percentile(withRows, 95)),
        Pair.of(percentile(jobRows, 99), percentile(withRows, 99)),
        Pair.of(failureRate(job), failureRate(with)),
        Pair.of((long) job.failed(), (long) with.failed()));
    return new RunComparison(new Summary(job, with, figures, hosts(jobRows, withRows), counts),
        urls);
  }

  private static String change(HistoryQueries.ResultRow job, HistoryQueries.ResultRow with) {
    if (!job.state().equals(with.state())) {
      if (job.state().equals("FAILED") && with.state().equals("SUCCEEDED")) return NEWLY_FAILING;
      if (job.state().equals("SUCCEEDED") && with.state().equals("FAILED")) {
        return NEWLY_SUCCEEDING;
      }
      return STATE_CHANGED;
    }
    // A 304 to the validators of the previous run: the resource did not change.
    if (Boolean.TRUE.equals(job.notModified())) return SAME;
    if (!Objects.equals(job.httpStatus(), with.httpStatus())
        && !Boolean.TRUE.equals(with.notModified())) {
      return STATUS_CHANGED;
    }
    if (job.sha256() != null && with.sha256() != null && !job.sha256().equals(with.sha256())) {
      return CONTENT_CHANGED;
    }
    if (job.etag() != null && with.etag() != null && !job.etag().equals(with.etag())) {
      return CONTENT_CHANGED; // the server says it is another version
    }
    return SAME;
  }

  private static Side side(HistoryQueries.ResultRow r) {
    return new Side(r.state(), r.httpStatus(), r.latencyMs(), r.sha256(), r.notModified());
  }

  private static boolean fetched(HistoryQueries.ResultRow r) {
    return (r.state().equals("SUCCEEDED") || r.state().equals("FAILED"))
        && r.latencyMs() != null;
  }

  private static Long percentile(List<HistoryQueries.ResultRow> rows, int p) {
    return Verdict.percentile(sortedLatencies(rows), p);
  }

  private static long[] sortedLatencies(List<HistoryQueries.ResultRow> rows) {
    long[] latencies = rows.stream().filter(RunComparison::fetched)
        .mapToLong(HistoryQueries.ResultRow::latencyMs).toArray();
    Arrays.sort(latencies);
    return latencies;
  }

  private static Double failureRate(JobSummary s) {
    int fetched = s.succeeded() + s.failed();
    return fetched == 0 ? null : Math.round(s.failed() * 10_000.0 / fetched) / 10_000.0;
  }

  private static List<Host> hosts(List<HistoryQueries.ResultRow> jobRows,
      List<HistoryQueries.ResultRow> withRows) {
    Map<String, List<HistoryQueries.ResultRow>> job = byHost(jobRows);
    Map<String, List<HistoryQueries.ResultRow>> with = byHost(withRows);
    TreeSet<String> all = new TreeSet<>(job.keySet());
    all.addAll(with.keySet());
    List<Host> hosts = new ArrayList<>();
    for (String h : all) {
      var a = job.getOrDefault(h, List.of());
      var b = with.getOrDefault(h, List.of());
      hosts.add(new Host(h, Pair.of((long) a.size(), (long) b.size()),
          Pair.of(percentile(a, 50), percentile(b, 50)),
          Pair.of(percentile(a, 95), percentile(b, 95)),
          Pair.of(failed(a), failed(b))));
    }
    return hosts;
  }

  private static long failed(List<HistoryQueries.ResultRow> rows) {
    return rows.stream().filter(r -> r.state().equals("FAILED")).count();
  }

  private static Map<String, List<HistoryQueries.ResultRow>> byHost(
      List<HistoryQueries.ResultRow> rows) {
    Map<String, List<HistoryQueries.ResultRow>> hosts = new HashMap<>();
    for (var r : rows) hosts.computeIfAbsent(UrlHost.of(r.url()), k -> new ArrayList<>()).add(r);
    return hosts;
  }
}
