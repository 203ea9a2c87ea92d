package io.fetchrunner.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fetchrunner.JsonMapper;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobFigures;
import io.fetchrunner.job.JobSpec;
import io.fetchrunner.job.JobStatus;
import io.fetchrunner.job.Thresholds;
import io.fetchrunner.job.UrlHost;
import io.fetchrunner.job.UrlResult;
import io.fetchrunner.job.Verdict;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies journal events to the read side's tables. One call of {@link #apply} is one
 * transaction: the rows the events change and the offset of the last event commit together,
 * so after a crash the read side resumes exactly after the last batch it committed.
 *
 * <p>The figures follow {@link io.fetchrunner.job.JobState} event by event: a result counts
 * once per URL, wall time is summed per run from its RunStarted to the last result of that
 * run, and a cancellation turns every pending URL into CANCELLED at its instant. A job's URL
 * list is stored once ({@link UrlChunks}); url_result holds a row per URL result only, so a URL
 * without a row is pending, or cancelled if its job was ({@link HistoryQueries#results}).
 * Each event costs O(1) statements, results of a batch go as one JDBC batch, and a job's
 * own row is read at most once per batch and written back once at its end.
 */
public final class HistoryWriter {
  /** The name of this projection in {@code read_side_offset}. */
  public static final String PROJECTION = "job-history";

  private static final Logger log = LoggerFactory.getLogger(HistoryWriter.class);

  /** Characters of URLs kept in memory to label result rows (a few MiB). */
  private static final long CACHED_URL_CHARS = 2_000_000;

  private final HistoryStore store;
  /** Chunks of recent jobs' URL lists (used by one step at a time). */
  private final UrlChunks.Cache urlChunks = new UrlChunks.Cache(CACHED_URL_CHARS);

  public HistoryWriter(HistoryStore store) {
    this.store = store;
  }

  /** One journal event with its ordering (the read side's offset). */
  public record Envelope(long ordering, String jobId, Job.Event event) {}

  /** The ordering of the last event applied; 0 when nothing was. */
  public long offset() throws SQLException {
    try (Connection c = store.connect()) {
      return offset(c);
    }
  }

  static long offset(Connection c) throws SQLException {
    return offset(c, "");
  }

  /**
   * The offset, locked until the transaction ends: two projections overlapping for a moment
   * (a singleton moving between nodes) cannot both apply the same events.
   */
  private static long lockedOffset(Connection c) throws SQLException {
    return offset(c, " FOR UPDATE");
  }

  private static long offset(Connection c, String lock) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT last_ordering FROM read_side_offset WHERE projection = ?" + lock)) {
      st.setString(1, PROJECTION);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0L;
      }
    }
  }

  /** The orderings the read side read past while they were missing, ascending. */
  static List<JournalReader.Gap> gaps(Connection c) throws SQLException {
    List<JournalReader.Gap> gaps = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement("SELECT first_ordering, last_ordering,"
        + " seen_at FROM read_side_gap WHERE projection = ? ORDER BY first_ordering")) {
      st.setString(1, PROJECTION);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          gaps.add(new JournalReader.Gap(rs.getLong(1), rs.getLong(2),
              HistoryStore.fromDb(rs, "seen_at")));
        }
      }
    }
    return gaps;
  }

  /**
   * True when the tables hold jobs in the layout of versions before job_url_chunk (which kept
   * a PENDING row per URL): such a read side must be rebuilt ({@link #reset}) before use.
   */
  public boolean olderLayout() throws SQLException {
    try (Connection c = store.connect(); var st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM job_run)"
             + " AND NOT EXISTS (SELECT 1 FROM job_url_chunk)")) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  /** Empties the read side and sets its offset to 0, in one transaction: it then rebuilds. */
  public void reset() throws SQLException {
    urlChunks.clear();
    inTransaction(c -> {
      try (var st = c.createStatement()) {
        st.executeUpdate("DELETE FROM url_result");
        st.executeUpdate("DELETE FROM job_url_chunk");
        st.executeUpdate("DELETE FROM job_run");
        st.executeUpdate("DELETE FROM read_side_skipped");
        st.executeUpdate("DELETE FROM read_side_gap");
        st.executeUpdate("DELETE FROM read_side_offset");
      }
      saveOffset(c, 0); // the rebuild starts from the journal's first event
      return null;
    });
  }

  /** Applies the events in order and moves the offset to the last one, atomically. */
  public void apply(List<Envelope> batch) throws SQLException {
    if (batch.isEmpty()) return;
    inTransaction(c -> {
      long from = lockedOffset(c);
      try (var tx = new Batch(c)) {
        for (Envelope e : batch) {
          // Never apply an event twice, even if one were delivered again.
          if (e.ordering() > from) tx.apply(e.jobId(), e.event());
        }
        tx.flush();
      }
      long last = batch.get(batch.size() - 1).ordering();
      if (last > from) saveOffset(c, last);
      return null;
    });
  }

  /** A journal row as stored. */
  public record StoredEvent(long ordering, String persistenceId, long sequenceNr,
      int serializerId, String manifest, byte[] payload) {}

  /** A journal event that cannot be read back, and why: recorded and stepped over. */
  public record Unreadable(StoredEvent event, String error) {}

  /**
   * Applies one page of the journal reader in one transaction: the readable events in ordering
   * order, the unreadable ones recorded in read_side_skipped (so that one bad event cannot stop
   * the history of every later job), the new offset and the gaps still watched. Does nothing
   * (false) unless the offset and the watched gaps are still those the page was read from:
   * then no event is ever applied twice, wherever it sits.
   */
  boolean apply(JournalReader.Page page, List<Envelope> readable, List<Unreadable> unreadable)
      throws SQLException {
    return inTransaction(c -> {
      if (lockedOffset(c) != page.offset() || !ranges(gaps(c)).equals(ranges(page.gaps()))) {
        return false;
      }
      if (!readable.isEmpty()) {
        try (var tx = new Batch(c)) {
          for (Envelope e : readable) tx.apply(e.jobId(), e.event());
          tx.flush();
        }
      }
      for (Unreadable u : unreadable) skip(c, u.event(), u.error());
      if (!page.gaps().equals(page.nextGaps())) saveGaps(c, page.nextGaps());
      if (page.nextOffset() != page.offset()) saveOffset(c, page.nextOffset());
      return true;
    });
  }

  private static List<List<Long>> ranges(List<JournalReader.Gap> gaps) {
    return gaps.stream().map(g -> List.of(g.first(), g.last())).toList();
  }

  private static void skip(Connection c, StoredEvent poison, String error) throws SQLException {
    try (PreparedStatement in = c.prepareStatement("INSERT INTO read_side_skipped"
        + " (ordering, persistence_id, sequence_number, error, skipped_at)"
        + " VALUES (?, ?, ?, ?, ?)")) {
      in.setLong(1, poison.ordering());
      in.setString(2, poison.persistenceId());
      in.setLong(3, poison.sequenceNr());
      in.setString(4, error.length() > 2000 ? error.substring(0, 2000) : error);
      in.setObject(5, HistoryStore.toDb(Instant.now()));
      in.executeUpdate();
    }
  }

  private static void saveGaps(Connection c, List<JournalReader.Gap> gaps) throws SQLException {
    try (PreparedStatement del = c.prepareStatement(
        "DELETE FROM read_side_gap WHERE projection = ?")) {
      del.setString(1, PROJECTION);
      del.executeUpdate();
    }
    if (gaps.isEmpty()) return;
    try (PreparedStatement in = c.prepareStatement("INSERT INTO read_side_gap"
        + " (projection, first_ordering, last_ordering, seen_at) VALUES (?, ?, ?, ?)")) {
      for (JournalReader.Gap g : gaps) {
        in.setString(1, PROJECTION);
        in.setLong(2, g.first());
        in.setLong(3, g.last());
        in.setObject(4, HistoryStore.toDb(g.seenAt()));
        in.addBatch();
      }
      in.executeBatch();
    }
  }

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
  private <T> T inTransaction(Work<T> work) throws SQLException {
    try (Connection c = store.connect()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException rollbackFailed) {
          // HikariCP closes a connection after a timeout (a lock not granted): the store
          // rolls back, and the error worth reporting is the first one.
          e.addSuppressed(rollbackFailed);
        }
        // The cache may hold lists of jobs whose rows were just rolled back: start afresh.
        urlChunks.clear();
        throw e;
      }
    }
  }

  private static void saveOffset(Connection c, long ordering) throws SQLException {
    Instant now = Instant.now();
    try (PreparedStatement up = c.prepareStatement(
        "UPDATE read_side_offset SET last_ordering = ?, updated_at = ? WHERE projection = ?")) {
      up.setLong(1, ordering);
      up.setObject(2, HistoryStore.toDb(now));
      up.setString(3, PROJECTION);
      if (up.executeUpdate() == 1) return;
    }
    try (PreparedStatement in = c.prepareStatement(
        "INSERT INTO read_side_offset (projection, last_ordering, updated_at) VALUES (?, ?, ?)")) {
      in.setString(1, PROJECTION);
      in.setLong(2, ordering);
      in.setObject(3, HistoryStore.toDb(now));
      in.executeUpdate();
    }
  }

  private static String jsonValue(Object value) {
    try {
      return JsonMapper.get().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <T> T readJson(String json, Class<T> type) {
    try {
      return JsonMapper.get().readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable " + type.getSimpleName() + ": " + json, e);
    }
  }

  /** A list as the JSON array GET /jobs/{id} shows; null when empty. */
  private static String json(List<?> values) {
    if (values == null || values.isEmpty()) return null;
    try {
      return JsonMapper.get().writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A job's row while a batch runs: read once, changed in memory, written once. */
  private static final class JobRow {
    final String id;
    int total;
    JobStatus state;
    Instant finishedAt;
    /** The job's thresholds, or null. */
    Thresholds thresholds;
    /** Counts, summed latency, runs and wall time: as the job keeps them (JobState). */
    JobFigures figures = new JobFigures();

    JobRow(String id) {
      this.id = id;
    }
  }

  /**
   * The work of one transaction. URL results are inserted with one prepared statement as a
   * JDBC batch, sent before anything that must see them (a cancellation) and at the end.
   */
  private final class Batch implements AutoCloseable {
    private final Connection c;
    private final Map<String, JobRow> rows = new LinkedHashMap<>();
    private PreparedStatement recordSt;
    /** The results added to recordSt's batch, in order: counted once their insert ran. */
    private final List<Recorded> recorded = new ArrayList<>();

    private record Recorded(JobRow row, int index, UrlResult result, Instant at) {}

    Batch(Connection c) {
      this.c = c;
    }

    void apply(String jobId, Job.Event event) throws SQLException {
      if (event instanceof Job.JobSubmitted e) {
        submitted(jobId, e.spec());
        return;
      }
      JobRow row = row(jobId);
      if (row == null) {
        // Only when the job's JobSubmitted event could not be read (skipped): nothing to attach to.
        log.warn("read side: {} for unknown job {} skipped", event.getClass().getSimpleName(),
            jobId);
        return;
      }
      if (event instanceof Job.RunStarted e) {
        row.figures.runStarted(e.at(), e.refetching());
      } else if (event instanceof Job.UrlsFetched e) {
        // As the job (JobState): a result after a cancellation is not recorded.
        if (row.state != JobStatus.CANCELLED) {
          for (Job.Outcome o : e.results()) record(row, o.index(), o.result(), e.at());
        }
        row.figures.resultsAt(e.at());
      } else if (event instanceof Job.UrlFetched e) {
        if (row.state != JobStatus.CANCELLED) record(row, e.index(), e.result(), e.at());
        row.figures.resultsAt(e.at());
      } else if (event instanceof Job.JobCompleted e) {
        row.state = JobStatus.COMPLETED;
        row.finishedAt = e.at();
        if (row.thresholds != null) judge(row);
      } else if (event instanceof Job.JobCancelled e) {
        sendRecords(); // the URLs that got a result are not cancelled
        // Every URL still without a result is cancelled; it keeps having no row.
        row.figures.cancelRest(row.total);
        row.figures.resultsAt(e.at());
        row.state = JobStatus.CANCELLED;
        row.finishedAt = e.at();
      }
    }

    private void submitted(String jobId, JobSpec spec) throws SQLException {
      if (row(jobId) != null) return; // already there: never twice
      try (PreparedStatement st = c.prepareStatement("INSERT INTO job_run (job_id, name, state,"
          + " total, succeeded, failed, cancelled, concurrency, timeout_ms, submitted_at,"
          + " finished_at, wall_ms, sum_latency_ms, runs, closed_wall_ms, run_started_at,"
          + " last_result_at, rerun_of, thresholds, schedule_id)"
          + " VALUES (?, ?, ?, ?, 0, 0, 0, ?, ?, ?, NULL, 0, 0, 0, 0, NULL, NULL, ?, ?, ?)")) {
        st.setString(1, jobId);
        st.setString(2, store.text(spec.name()));
        st.setString(3, JobStatus.RUNNING.name());
        st.setInt(4, spec.urls().size());
        st.setInt(5, spec.concurrency());
        st.setLong(6, spec.timeoutMs());
        st.setObject(7, HistoryStore.toDb(spec.submittedAt()));
        st.setString(8, spec.rerunOf());
        Thresholds thresholds = spec.thresholds() == null || spec.thresholds().isEmpty()
            ? null : spec.thresholds();
        st.setString(9, thresholds == null ? null : jsonValue(thresholds));
        st.setString(10, spec.scheduleId());
        st.executeUpdate();
      }
      UrlChunks.store(c, jobId, spec.urls());
      var row = new JobRow(jobId);
      row.thresholds = spec.thresholds() == null || spec.thresholds().isEmpty()
          ? null : spec.thresholds();
      row.total = spec.urls().size();
      row.state = JobStatus.RUNNING;
      rows.put(jobId, row);
    }

    /**
     * A completed job against its thresholds, from its row's figures and the latencies of its
     * stored results (as the job judges itself: {@link Verdict}); stored with the row.
     */
    private void judge(JobRow row) throws SQLException {
      sendRecords(); // every result of the job is in url_result and counted
      List<Long> latencies = new ArrayList<>();
      try (PreparedStatement st = c.prepareStatement("SELECT latency_ms FROM url_result"
          + " WHERE job_id = ? AND state IN ('SUCCEEDED', 'FAILED')")) {
        st.setString(1, row.id);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) latencies.add(rs.getLong(1));
        }
      }
      Verdict verdict = Verdict.judge(row.thresholds, row.figures,
          latencies.stream().mapToLong(Long::longValue).toArray());
      try (PreparedStatement st = c.prepareStatement(
          "UPDATE job_run SET verdict = ?, checks = ? WHERE job_id = ?")) {
        st.setString(1, verdict == null ? null : verdict.result());
        st.setString(2, verdict == null ? null : json(verdict.checks()));
        st.setString(3, row.id);
        st.executeUpdate();
      }
    }

    /** The job's row, read once per batch; null if the job is unknown. */
    private JobRow row(String jobId) throws SQLException {
      JobRow cached = rows.get(jobId);
      if (cached != null) return cached;
      try (PreparedStatement st = c.prepareStatement("SELECT total, state, succeeded, failed,"
          + " cancelled, finished_at, sum_latency_ms, runs, closed_wall_ms, run_started_at,"
          + " last_result_at, refetched, delayed, thresholds FROM job_run WHERE job_id = ?")) {
        st.setString(1, jobId);
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next()) return null;
          var row = new JobRow(jobId);
          row.total = rs.getInt("total");
          row.state = JobStatus.valueOf(rs.getString("state"));
          row.finishedAt = HistoryStore.fromDb(rs, "finished_at");
          String thresholds = rs.getString("thresholds");
          row.thresholds = thresholds == null ? null : readJson(thresholds, Thresholds.class);
          row.figures = JobFigures.restored(rs.getInt("succeeded"), rs.getInt("failed"),
              rs.getInt("cancelled"), rs.getLong("sum_latency_ms"), rs.getInt("runs"),
              rs.getInt("refetched"), rs.getInt("delayed"), rs.getLong("closed_wall_ms"),
              HistoryStore.fromDb(rs, "run_started_at"),
              HistoryStore.fromDb(rs, "last_result_at"));
          rows.put(jobId, row);
          return row;
        }
      }
    }

    /**
     * Records a URL's result (joins the batch; counted in the job's row once the batch is
     * sent, unless the URL had a result already).
     */
    private void record(JobRow row, int index, UrlResult r, Instant at) throws SQLException {
      if (recordSt == null) {
        recordSt = c.prepareStatement("INSERT INTO url_result (job_id, idx, url, host, state,"
            + " http_status, bytes, latency_ms, attempts, error, recorded_at, content_type,"
            + " sha256, redirects, earlier_attempts, error_kind, etag, last_modified,"
            + " not_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      }
      bind(recordSt, row.id, index, urlChunks.url(c, row.id, index), r, at);
      recordSt.addBatch();
      recorded.add(new Recorded(row, index, r, at));
    }

    private void bind(PreparedStatement st, String jobId, int index, String url, UrlResult r,
        Instant at) throws SQLException {
      st.setString(1, jobId);
      st.setInt(2, index);
      st.setString(3, url);
      st.setString(4, UrlHost.of(url));
      st.setString(5, r.state().name());
      if (r.httpStatus() == null) {
        st.setNull(6, Types.INTEGER);
      } else {
        st.setInt(6, r.httpStatus());
      }
      st.setLong(7, r.bytes());
      st.setLong(8, r.latencyMs());
      st.setInt(9, r.attempts());
      st.setString(10, store.text(r.error()));
      st.setObject(11, HistoryStore.toDb(at));
      st.setString(12, store.text(r.contentType()));
      st.setString(13, r.sha256());
      st.setString(14, json(r.redirects()));
      st.setString(15, json(r.earlierAttempts()));
      st.setString(16, r.errorKind());
      st.setString(17, clip(r.etag(), 512));
      st.setString(18, clip(r.lastModified(), 64));
      if (r.notModified() == null) {
        st.setNull(19, Types.BOOLEAN);
      } else {
        st.setBoolean(19, r.notModified());
      }
    }

    /** A validator longer than its column is not kept (a conditional run sends none). */
    private static String clip(String value, int max) {
      return value == null || value.length() > max ? null : value;
    }

    /**
     * Inserts the batch's results; each counts in its job. A URL that has a result already
     * keeps it (the job never records two, but the read side does not rely on it): the
     * batch is then undone and its results inserted one by one, skipping those URLs.
     */
    private void sendRecords() throws SQLException {
      if (recorded.isEmpty()) return;
      Savepoint before = c.setSavepoint();
      boolean inserted;
      try {
        recordSt.executeBatch();
        inserted = true;
      } catch (SQLException e) {
        if (!isDuplicateKey(e)) throw e; // the whole transaction is rolled back
        c.rollback(before);
        recordSt.clearBatch();
        inserted = false;
      }
      c.releaseSavepoint(before);
      if (inserted) {
        for (Recorded r : recorded) {
          r.row().figures.count(r.result());
        }
      } else {
        oneByOne();
      }
      recorded.clear();
    }

    /** A unique-key violation (SQLSTATE 23505 on H2 and PostgreSQL), here or in its chain. */
    private static boolean isDuplicateKey(SQLException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof SQLException s && "23505".equals(s.getSQLState())) return true;
      }
      for (SQLException n = e.getNextException(); n != null; n = n.getNextException()) {
        if ("23505".equals(n.getSQLState())) return true;
      }
      return false;
    }

    private void oneByOne() throws SQLException {
      try (PreparedStatement exists = c.prepareStatement(
          "SELECT 1 FROM url_result WHERE job_id = ? AND idx = ?")) {
        for (Recorded r : recorded) {
          exists.setString(1, r.row().id);
          exists.setInt(2, r.index());
          try (ResultSet rs = exists.executeQuery()) {
            if (rs.next()) continue;
          }
          bind(recordSt, r.row().id, r.index(), urlChunks.url(c, r.row().id, r.index()),
              r.result(), r.at());
          recordSt.executeUpdate();
          r.row().figures.count(r.result());
        }
      }
    }

    /** Writes the results and then every job row this batch changed. */
    void flush() throws SQLException {
      sendRecords();
      try (PreparedStatement st = c.prepareStatement("UPDATE job_run SET state = ?,"
          + " succeeded = ?, failed = ?, cancelled = ?, finished_at = ?, wall_ms = ?,"
          + " sum_latency_ms = ?, runs = ?, closed_wall_ms = ?, run_started_at = ?,"
          + " last_result_at = ?, refetched = ?, delayed = ? WHERE job_id = ?")) {
        for (JobRow row : rows.values()) {
          st.setString(1, row.state.name());
          JobFigures f = row.figures;
          st.setInt(2, f.succeeded());
          st.setInt(3, f.failed());
          st.setInt(4, f.cancelled());
          st.setObject(5, HistoryStore.toDb(row.finishedAt));
          st.setLong(6, f.wallMs());
          st.setLong(7, f.sumLatencyMs());
          st.setInt(8, f.runs());
          st.setLong(9, f.closedWallMs());
          st.setObject(10, HistoryStore.toDb(f.runStartedAt()));
          st.setObject(11, HistoryStore.toDb(f.lastResultAt()));
          st.setInt(12, f.refetched());
          st.setInt(13, f.delayed());
          st.setString(14, row.id);
          st.addBatch();
        }
        st.executeBatch();
      }
    }

    @Override
    public void close() throws SQLException {
      if (recordSt != null) recordSt.close();
    }
  }
}
