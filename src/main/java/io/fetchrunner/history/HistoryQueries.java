package io.fetchrunner.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.fetchrunner.JsonMapper;
import io.fetchrunner.Secrets;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobFigures;
import io.fetchrunner.job.JobRequest;
import io.fetchrunner.job.JobStatus;
import io.fetchrunner.job.JobSummary;
import io.fetchrunner.job.UrlResult;
import io.fetchrunner.job.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The questions the read side answers: the job list, one job's results page by page, the
 * statistics of a time window, and how far the read side is behind the journal. Blocking
 * JDBC: call from a blocking dispatcher.
 */
public final class HistoryQueries {
  private final HistoryStore store;

  public HistoryQueries(HistoryStore store) {
    this.store = store;
  }

  // ---- the job list ----

  /** Which jobs: all null means every job. {@code since} inclusive, {@code until} exclusive. */
  /** Jobs by state, name (a substring, any case), submission window and verdict. */
  public record JobFilter(JobStatus state, String name, Instant since, Instant until,
      String verdict, String scheduleId) {
    public JobFilter(JobStatus state, String name, Instant since, Instant until) {
      this(state, name, since, until, null, null);
    }
  }

  /** A position in the list: the last job of a page (newest first by submission, then id). */
  public record Cursor(Instant submittedAt, String jobId) {
    public String encode() {
      String raw = submittedAt.getEpochSecond() + "." + submittedAt.getNano() + "." + jobId;
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor, or null if {@code text} is not one this class encoded. */
    public static Cursor decode(String text) {
      try {
        String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        String[] parts = raw.split("\\.", 3);
        if (parts.length != 3 || parts[2].isEmpty()) return null;
        long seconds = Long.parseLong(parts[0]);
        long nanos = Long.parseLong(parts[1]);
        if (nanos < 0 || nanos > 999_999_999) return null;
        return new Cursor(Instant.ofEpochSecond(seconds, nanos), parts[2]);
      } catch (IllegalArgumentException | DateTimeException e) {
        return null;
      }
    }
  }

  public record Page(List<JobSummary> jobs, Cursor next) {}

  private static final String SUMMARY_COLUMNS = "job_id, name, state, total, succeeded, failed,"
      + " cancelled, submitted_at, finished_at, wall_ms, sum_latency_ms, runs, refetched, rerun_of,"
      + " schedule_id, verdict, checks, delayed";

  public Page list(JobFilter filter, Cursor after, int limit) throws SQLException {
    var where = new Where();
    where.window(filter, "", store);
    if (after != null) {
      where.add("(submitted_at < ? OR (submitted_at = ? AND job_id < ?))",
          HistoryStore.toDb(after.submittedAt()), HistoryStore.toDb(after.submittedAt()),
          after.jobId());
    }
    String sql = "SELECT " + SUMMARY_COLUMNS + " FROM job_run" + where.sql()
        + " ORDER BY submitted_at DESC, job_id DESC LIMIT " + (limit + 1);
    List<JobSummary> jobs = new ArrayList<>(limit + 1);
    try (Connection c = store.connect(); PreparedStatement st = where.prepare(c, sql);
         ResultSet rs = st.executeQuery()) {
      while (rs.next()) jobs.add(summary(rs));
    }
    Cursor next = null;
    if (jobs.size() > limit) {
      jobs.remove(limit);
      JobSummary last = jobs.get(limit - 1);
      next = new Cursor(last.submittedAt(), last.id());
    }
    return new Page(jobs, next);
  }

  /**
   * The summary of a finished job as the read side holds it, or empty while the job runs, is
   * not on the read side yet, or may be incomplete there: an event of it was skipped, or a
   * result is missing (which the read side's rules rule out; checked all the same); then only
   * the job itself can tell. A finished job never changes again, and has no URL
   * pending, so this equals what the job would answer.
   */
  public Optional<JobSummary> finished(String jobId) throws SQLException {
    try (Connection c = store.connect();
         PreparedStatement st = c.prepareStatement("SELECT " + SUMMARY_COLUMNS
             + " FROM job_run WHERE job_id = ? AND state <> 'RUNNING'"
             + " AND succeeded + failed + cancelled = total AND NOT EXISTS"
             + " (SELECT 1 FROM read_side_skipped WHERE persistence_id = ?)")) {
      st.setString(1, jobId);
      st.setString(2, Job.PERSISTENCE_ID_PREFIX + jobId);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(summary(rs)) : Optional.empty();
      }
    }
  }

  /**
   * The job's summary as the read side holds it now, whatever its state: behind the job by
   * up to fetchrunner.history.refresh-interval while it runs. Empty when the read side does
   * not have the job (yet).
   */
  public Optional<JobSummary> latest(String jobId) throws SQLException {
    try (Connection c = store.connect();
         PreparedStatement st = c.prepareStatement("SELECT " + SUMMARY_COLUMNS
             + " FROM job_run WHERE job_id = ?")) {
      st.setString(1, jobId);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(summary(rs)) : Optional.empty();
      }
    }
  }

  private static JobSummary summary(ResultSet rs) throws SQLException {
    int total = rs.getInt("total");
    int succeeded = rs.getInt("succeeded");
    int failed = rs.getInt("failed");
    int cancelled = rs.getInt("cancelled");
    long wall = rs.getLong("wall_ms");
    long sum = rs.getLong("sum_latency_ms");
    return new JobSummary(rs.getString("job_id"), rs.getString("name"),
        JobStatus.valueOf(rs.getString("state")), total, succeeded, failed, cancelled,
        total - succeeded - failed - cancelled, HistoryStore.fromDb(rs, "submitted_at"),
        HistoryStore.fromDb(rs, "finished_at"), wall, sum, JobFigures.speedup(sum, wall),
        Math.max(0, rs.getInt("runs") - 1), rs.getInt("refetched"), rs.getString("rerun_of"),
        rs.getString("schedule_id"))
        .withVerdict(verdict(rs.getString("verdict"), rs.getString("checks")))
        .withDelayed(rs.getInt("delayed"));
  }

  private static final TypeReference<List<Verdict.Check>> CHECKS = new TypeReference<>() {};

  private static Verdict verdict(String result, String checks) {
    if (result == null) return null;
    try {
      return new Verdict(result, checks == null ? List.of()
          : JsonMapper.get().readValue(checks, CHECKS));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable checks of a verdict: " + checks, e);
    }
  }

  // ---- one job's results ----

  /**
   * The latest finished job of the same schedule as {@code jobId} (of the same name when it
   * has no schedule) submitted before it: a run's previous run; empty if there is none, or if
   * {@code jobId} is unknown.
   */
  public Optional<String> previousFinished(String jobId) throws SQLException {
    return firstJobId("SELECT p.job_id FROM job_run p"
        + " JOIN job_run j ON j.job_id = ? AND (p.schedule_id = j.schedule_id"
        + " OR (j.schedule_id IS NULL AND p.name = j.name))"
        + " AND (p.submitted_at < j.submitted_at"
        + " OR (p.submitted_at = j.submitted_at AND p.job_id < j.job_id))"
        + " WHERE p.state <> 'RUNNING'"
        + " ORDER BY p.submitted_at DESC, p.job_id DESC FETCH FIRST 1 ROWS ONLY", jobId);
  }

  /** The job id in the first row of {@code sql}, asked with its one parameter; empty if none. */
  private Optional<String> firstJobId(String sql, String parameter) throws SQLException {
    try (Connection c = store.connect(); PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, parameter);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /**
   * What a job's URLs got: ETag and Last-Modified of each URL's final response, by URL (as
   * submitted, credentials included: the caller matches them with a new job's URLs).
   */
  public Map<String, JobRequest.Validators> validators(String jobId) throws SQLException {
    Map<String, JobRequest.Validators> found = new HashMap<>();
    try (Connection c = store.connect();
         PreparedStatement st = c.prepareStatement("SELECT url, etag, last_modified"
             + " FROM url_result WHERE job_id = ? AND (etag IS NOT NULL"
             + " OR last_modified IS NOT NULL) ORDER BY idx")) {
      st.setString(1, jobId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          found.putIfAbsent(rs.getString(1),
              new JobRequest.Validators(rs.getString(2), rs.getString(3)));
        }
      }
    }
    return found;
  }

  /** The latest finished job named {@code name}; empty if none. */
  public Optional<String> latestFinishedNamed(String name) throws SQLException {
    return firstJobId("SELECT job_id FROM job_run WHERE name = ? AND state <> 'RUNNING'"
        + " ORDER BY submitted_at DESC, job_id DESC FETCH FIRST 1 ROWS ONLY", name);
  }

  public boolean exists(String jobId) throws SQLException {
    try (Connection c = store.connect();
         PreparedStatement st = c.prepareStatement("SELECT 1 FROM job_run WHERE job_id = ?")) {
      st.setString(1, jobId);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * One URL's row; bytes and latency are null while it is pending (as in GET /jobs/{id}).
   * Credentials in its URLs and error texts are redacted ({@link Secrets}).
   */
  public record ResultRow(int index, String url, String state, Integer httpStatus, Long bytes,
      Long latencyMs, int attempts, String error, String errorKind, String contentType,
      String sha256, List<String> redirects, List<UrlResult.Attempt> earlierAttempts,
      String etag, String lastModified, Boolean notModified) {}

  private static final com.fasterxml.jackson.core.type.TypeReference<List<String>> STRINGS =
      new com.fasterxml.jackson.core.type.TypeReference<>() {};
  private static final com.fasterxml.jackson.core.type.TypeReference<List<UrlResult.Attempt>>
      ATTEMPTS = new com.fasterxml.jackson.core.type.TypeReference<>() {};

  private static <T> List<T> list(String json,
      com.fasterxml.jackson.core.type.TypeReference<List<T>> type) {
    if (json == null) return List.of();
    try {
      return io.fetchrunner.JsonMapper.get().readValue(json, type);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable list in the read side: " + json, e);
    }
  }

  /**
   * Up to {@code limit} rows of the job with an index above {@code afterIndex}, in order. A
   * URL without a result row is PENDING, or CANCELLED if the job was cancelled (as GET
   * /jobs/{id} shows it: no status, bytes and latency while pending, zero once cancelled).
   */
  public List<ResultRow> results(String jobId, int afterIndex, int limit) throws SQLException {
    try (Connection c = store.connect()) {
      // One snapshot for the three reads: a rebuild committing meanwhile is not half seen.
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      try {
        return results(c, jobId, afterIndex, limit);
      } finally {
        c.rollback(); // read only
      }
    }
  }

  private List<ResultRow> results(Connection c, String jobId, int afterIndex, int limit)
      throws SQLException {
    JobStatus state;
    int total;
    try (PreparedStatement st = c.prepareStatement(
        "SELECT state, total FROM job_run WHERE job_id = ?")) {
      st.setString(1, jobId);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) return List.of();
        state = JobStatus.valueOf(rs.getString(1));
        total = rs.getInt(2);
      }
    }
    int from = (int) Math.max(0, afterIndex + 1L);
    int to = (int) Math.min(total - 1L, (long) afterIndex + limit); // inclusive
    if (from > to) return List.of();
    List<ResultRow> rows = new ArrayList<>(to - from + 1);
    String[] chunk = null;
    int chunkNo = -1;
    try (PreparedStatement st = c.prepareStatement(
        "SELECT idx, url, state, http_status, bytes, latency_ms, attempts, error,"
            + " content_type, sha256, redirects, earlier_attempts, error_kind, etag,"
            + " last_modified, not_modified"
            + " FROM url_result WHERE job_id = ? AND idx BETWEEN ? AND ? ORDER BY idx")) {
      st.setString(1, jobId);
      st.setInt(2, from);
      st.setInt(3, to);
      try (ResultSet rs = st.executeQuery()) {
        int next = from;
        boolean more = rs.next();
        while (next <= to) {
          if (more && rs.getInt(1) == next) {
            rows.add(new ResultRow(next, Secrets.url(rs.getString(2)), rs.getString(3),
                (Integer) rs.getObject(4), (Long) rs.getObject(5), (Long) rs.getObject(6),
                rs.getInt(7), Secrets.text(rs.getString(8)),
                errorKind(rs.getString(13), rs.getString(3), rs.getString(8)),
                rs.getString(9), rs.getString(10), Secrets.urls(list(rs.getString(11), STRINGS)),
                UrlResult.Attempt.shown(list(rs.getString(12), ATTEMPTS)), rs.getString(14),
                rs.getString(15), (Boolean) rs.getObject(16)));
            more = rs.next();
          } else {
            if (next / UrlChunks.SIZE != chunkNo) {
              chunkNo = next / UrlChunks.SIZE;
              chunk = UrlChunks.load(c, jobId, chunkNo);
            }
            rows.add(noResult(next, Secrets.url(UrlChunks.at(chunk, next)), state));
          }
          next++;
        }
      }
    }
    return rows;
  }

  /** A URL without a result: pending, or cancelled with its job. */
  private static ResultRow noResult(int index, String url, JobStatus jobState) {
    if (jobState == JobStatus.CANCELLED) {
      UrlResult r = UrlResult.cancelled();
      return new ResultRow(index, url, r.state().name(), r.httpStatus(), r.bytes(),
          r.latencyMs(), r.attempts(), null, r.errorKind(), null, null, List.of(), List.of(),
          null, null, null);
    }
    return new ResultRow(index, url, "PENDING", null, null, null, 0, null, null, null, null,
        List.of(), List.of(), null, null, null);
  }

  /** The stored kind; rows written before it existed get it as UrlResult gives it. */
  private static String errorKind(String stored, String state, String error) {
    if (stored != null) return stored;
    return new UrlResult(io.fetchrunner.job.UrlState.valueOf(state), null, 0, 0, 0, error,
        null, null, null, null).errorKind();
  }

  // ---- statistics ----

  /**
   * {@code speedup} and {@code savedMs} compare the finished jobs' summed latencies (fetching
   * one by one) with their summed wall times (what the runs took).
   */
  public record Stats(Instant since, Instant until, String name, Jobs jobs, Urls urls,
      Wall wallMs, Double speedup, long savedMs, Latency latencyMs, List<Host> slowestHosts) {}

  public record Jobs(long total, long running, long completed, long cancelled) {}

  public record Urls(long total, long succeeded, long failed, long cancelled, long pending,
      Double successRate) {}

  /** Wall times of the finished jobs of the window. */
  public record Wall(long jobs, Long p50, Long p95, Long p99, Long max, long sum,
      long sumLatencyMs) {}

  /** Latencies of the URLs with a fetch result (SUCCEEDED or FAILED). */
  public record Latency(long urls, Long p50, Long p95, Long p99, Long max) {}

  public record Host(String host, long urls, long failed, Long p50, Long p95, Long p99,
      Long max) {}

  private static final String PERCENTILES = "PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY %1$s),"
      + " PERCENTILE_DISC(0.95) WITHIN GROUP (ORDER BY %1$s),"
      + " PERCENTILE_DISC(0.99) WITHIN GROUP (ORDER BY %1$s), MAX(%1$s)";

  public Stats stats(JobFilter filter, int hosts) throws SQLException {
    try (Connection c = store.connect()) {
      long running = 0;
      long completed = 0;
      long cancelledJobs = 0;
      long total = 0;
      long succeeded = 0;
      long failed = 0;
      long cancelled = 0;
      var where = new Where();
      where.window(filter, "", store);
      try (PreparedStatement st = where.prepare(c, "SELECT state, COUNT(*), SUM(total),"
          + " SUM(succeeded), SUM(failed), SUM(cancelled) FROM job_run" + where.sql()
          + " GROUP BY state"); ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          long n = rs.getLong(2);
          switch (JobStatus.valueOf(rs.getString(1))) {
            case RUNNING -> running = n;
            case COMPLETED -> completed = n;
            case CANCELLED -> cancelledJobs = n;
          }
          total += rs.getLong(3);
          succeeded += rs.getLong(4);
          failed += rs.getLong(5);
          cancelled += rs.getLong(6);
        }
      }
      Double successRate = succeeded + failed == 0 ? null
          : Math.round(succeeded * 10_000.0 / (succeeded + failed)) / 10_000.0;
      var urls = new Urls(total, succeeded, failed, cancelled,
          total - succeeded - failed - cancelled, successRate);

      var finished = new Where();
      finished.window(filter, "", store);
      finished.add("state <> ?", JobStatus.RUNNING.name());
      Wall wall;
      try (PreparedStatement st = finished.prepare(c, "SELECT COUNT(*), "
          + PERCENTILES.formatted("wall_ms") + ", SUM(wall_ms), SUM(sum_latency_ms)"
          + " FROM job_run" + finished.sql()); ResultSet rs = st.executeQuery()) {
        rs.next();
        wall = new Wall(rs.getLong(1), longOrNull(rs, 2), longOrNull(rs, 3),
            longOrNull(rs, 4), longOrNull(rs, 5), rs.getLong(6), rs.getLong(7));
      }
      Double speedup = JobFigures.speedup(wall.sumLatencyMs(), wall.sum());

      var fetched = new Where();
      fetched.window(filter, "j.", store);
      fetched.add("u.state IN ('SUCCEEDED', 'FAILED')");
      String from = " FROM url_result u JOIN job_run j ON j.job_id = u.job_id" + fetched.sql();
      Latency latency;
      try (PreparedStatement st = fetched.prepare(c, "SELECT COUNT(*), "
          + PERCENTILES.formatted("u.latency_ms") + from); ResultSet rs = st.executeQuery()) {
        rs.next();
        latency = new Latency(rs.getLong(1), longOrNull(rs, 2), longOrNull(rs, 3),
            longOrNull(rs, 4), longOrNull(rs, 5));
      }
      List<Host> slowest = new ArrayList<>();
      if (hosts > 0) {
        try (PreparedStatement st = fetched.prepare(c, "SELECT u.host, COUNT(*),"
            + " SUM(CASE WHEN u.state = 'FAILED' THEN 1 ELSE 0 END), "
            + PERCENTILES.formatted("u.latency_ms") + from
            + " GROUP BY u.host ORDER BY 5 DESC, 7 DESC, u.host LIMIT " + hosts);
             ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            slowest.add(new Host(rs.getString(1), rs.getLong(2), rs.getLong(3),
                longOrNull(rs, 4), longOrNull(rs, 5), longOrNull(rs, 6), longOrNull(rs, 7)));
          }
        }
      }
      return new Stats(filter.since(), filter.until(), filter.name(),
          new Jobs(running + completed + cancelledJobs, running, completed, cancelledJobs),
          urls, wall, speedup, wall.sumLatencyMs() - wall.sum(), latency, slowest);
    }
  }

  private static Long longOrNull(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }

  // ---- metrics ----

  /** How many jobs the read side holds in each state (every state, 0 when none). */
  public Map<JobStatus, Long> jobsByState() throws SQLException {
    var counts = new EnumMap<JobStatus, Long>(JobStatus.class);
    for (JobStatus s : JobStatus.values()) counts.put(s, 0L);
    try (Connection c = store.connect();
         PreparedStatement st = c.prepareStatement(
             "SELECT state, COUNT(*) FROM job_run GROUP BY state");
         ResultSet rs = st.executeQuery()) {
      while (rs.next()) counts.put(JobStatus.valueOf(rs.getString(1)), rs.getLong(2));
    }
    return counts;
  }

  // ---- lag ----

  /**
   * How far the read side is: the journal ordering it has read to, how many job events are in
   * the journal beyond it or in the gaps it read past (not applied yet), how many orderings
   * below it are missing and still watched (writes that may yet commit), and when the offset
   * last moved.
   */
  public record Status(long offset, long behind, long gaps, Instant updatedAt, long skipped,
      List<Skipped> skippedEvents) {}

  /** A journal event the read side stepped over because it cannot be read back. */
  public record Skipped(long ordering, String persistenceId, long sequenceNr, String error,
      Instant skippedAt) {}

  /** How many skipped events {@link #status()} lists (the most recent). */
  static final int SKIPPED_LISTED = 20;

  public Status status() throws SQLException {
    try (Connection c = store.connect()) {
      long offset = 0;
      Instant updatedAt = null;
      try (PreparedStatement st = c.prepareStatement("SELECT last_ordering, updated_at"
          + " FROM read_side_offset WHERE projection = ?")) {
        st.setString(1, HistoryWriter.PROJECTION);
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next()) {
            offset = rs.getLong(1);
            updatedAt = HistoryStore.fromDb(rs, "updated_at");
          }
        }
      }
      long behind;
      try (PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM \"event_journal\" j"
          + " WHERE " + JournalReader.JOB_EVENT + " AND j.\"ordering\" > ?")) {
        st.setLong(1, offset);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          behind = rs.getLong(1);
        }
      }
      long gaps;
      try (PreparedStatement st = c.prepareStatement("SELECT COALESCE(SUM(g.last_ordering"
          + " - g.first_ordering + 1), 0), (SELECT COUNT(*) FROM read_side_gap w"
          + " JOIN \"event_journal\" j ON j.\"ordering\" BETWEEN w.first_ordering"
          + " AND w.last_ordering WHERE w.projection = ? AND " + JournalReader.JOB_EVENT + ")"
          + " FROM read_side_gap g WHERE g.projection = ?")) {
        st.setString(1, HistoryWriter.PROJECTION);
        st.setString(2, HistoryWriter.PROJECTION);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          gaps = rs.getLong(1);
          behind += rs.getLong(2);
        }
      }
      long skipped;
      try (PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM read_side_skipped");
           ResultSet rs = st.executeQuery()) {
        rs.next();
        skipped = rs.getLong(1);
      }
      List<Skipped> listed = new ArrayList<>();
      try (PreparedStatement st = c.prepareStatement("SELECT ordering, persistence_id,"
          + " sequence_number, error, skipped_at FROM read_side_skipped"
          + " ORDER BY ordering DESC LIMIT " + SKIPPED_LISTED);
           ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          listed.add(new Skipped(rs.getLong(1), rs.getString(2), rs.getLong(3),
              Secrets.text(rs.getString(4)),
              HistoryStore.fromDb(rs, "skipped_at")));
        }
      }
      return new Status(offset, behind, gaps, updatedAt, skipped, listed);
    }
  }

  // ---- building WHERE clauses ----

  /** Conditions joined by AND, with their parameters in order. */
  private static final class Where {
    private final List<String> conditions = new ArrayList<>();
    private final List<Object> params = new ArrayList<>();

    void add(String condition, Object... values) {
      conditions.add(condition);
      params.addAll(List.of(values));
    }

    void window(JobFilter f, String alias, HistoryStore store) {
      if (f.state() != null) add(alias + "state = ?", f.state().name());
      if (f.name() != null) {
        add("LOWER(" + alias + "name) LIKE ? ESCAPE '!'",
            "%" + likeEscape(f.name().toLowerCase(Locale.ROOT)) + "%");
      }
      if (f.since() != null) add(alias + "submitted_at >= ?", store.bound(f.since()));
      if (f.until() != null) add(alias + "submitted_at < ?", store.bound(f.until()));
      if (f.verdict() != null) add(alias + "verdict = ?", f.verdict());
      if (f.scheduleId() != null) add(alias + "schedule_id = ?", f.scheduleId());
    }

    String sql() {
      return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
    }

    PreparedStatement prepare(Connection c, String sql) throws SQLException {
      PreparedStatement st = c.prepareStatement(sql);
      for (int i = 0; i < params.size(); i++) st.setObject(i + 1, params.get(i));
      return st;
    }

    private static String likeEscape(String s) {
      return s.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    }
  }
}
