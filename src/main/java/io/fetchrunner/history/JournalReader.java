package io.fetchrunner.history;

import io.fetchrunner.job.Job;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the job events that follow an offset straight from the journal's tables, in ordering
 * order, never past a gap that may still fill.
 *
 * <p>Job events are known by their persistence id ({@link Job#PERSISTENCE_ID_PREFIX}); they carry
 * no tags (see there).
 *
 * <p>Why not the JDBC plugin's {@code eventsByTag}: its query (pekko-persistence-jdbc 1.1.1)
 * joins {@code event_tag} with a derived table that H2 evaluates once per tagged row of the
 * whole journal, so every poll costs time in proportion to everything ever stored (280 to
 * 560 ms per page of 1,000 events at 33,000 events, against 15 to 35 ms for a plain join with
 * event_tag, and 0.2 to 4.5 ms for the query below at 94,665 events: bench/ReadQueryBench.java,
 * docs/BENCHMARKS.md).
 *
 * <p>Gaps: journal rows are written by concurrent transactions, so ordering 105 may be visible
 * before 104 commits. Events are only read up to the highest ordering below which every value
 * is present (the "safe" bound). A gap that stays open longer than {@code gapTimeout} is a
 * write that was rolled back, or identity values a crash lost, and is passed; every gap is
 * timed from its first sighting, all at once. Not thread-safe: one caller at a time.
 */
final class JournalReader {
  /**
   * Whether journal row {@code j} is a job event. Written as a function of the column so that
   * neither H2 nor PostgreSQL scans the (persistence_id, sequence_number) key for it: the
   * ordering range is the selective condition.
   */
  static final String JOB_EVENT = "LEFT(j.\"persistence_id\", "
      + Job.PERSISTENCE_ID_PREFIX.length() + ") = '" + Job.PERSISTENCE_ID_PREFIX + "'";

  /** Orderings inspected per poll when looking for the safe bound. */
  private static final int ORDERINGS_PER_POLL = 20_000;

  private final HistoryStore store;
  private final long gapTimeoutNanos;
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(JournalReader.class);

  private long safe = -1;
  private int scanned;
  /** Gaps by their first missing ordering, and when each was first seen. */
  private final java.util.TreeMap<Long, Long> missingSince = new java.util.TreeMap<>();

  JournalReader(HistoryStore store, java.time.Duration gapTimeout) {
    this.store = store;
    this.gapTimeoutNanos = gapTimeout.toNanos();
  }

  /** Forget the safe bound (the read side was reset to an earlier offset). */
  void restartFrom(long offset) {
    safe = offset;
    missingSince.clear();
  }

  /** Up to {@code limit} job events after {@code offset} and not past the safe bound. */
  List<HistoryWriter.StoredEvent> eventsAfter(long offset, int limit) throws SQLException {
    try (Connection c = store.connect()) {
      if (safe < offset) restartFrom(offset);
      advanceSafeBound(c);
      if (safe <= offset) return List.of();
      try (PreparedStatement st = c.prepareStatement(
          "SELECT j.\"ordering\", j.\"persistence_id\", j.\"sequence_number\","
              + " j.\"event_ser_id\", j.\"event_ser_manifest\", j.\"event_payload\""
              + " FROM \"event_journal\" j"
              + " WHERE " + JOB_EVENT + " AND j.\"ordering\" > ? AND j.\"ordering\" <= ?"
              + " AND j.\"deleted\" = FALSE ORDER BY j.\"ordering\" LIMIT ?")) {
        st.setLong(1, offset);
        st.setLong(2, safe);
        st.setInt(3, limit);
        List<HistoryWriter.StoredEvent> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            out.add(new HistoryWriter.StoredEvent(rs.getLong(1), rs.getString(2),
                rs.getLong(3), rs.getInt(4), rs.getString(5), rs.getBytes(6)));
          }
        }
        return out;
      }
    }
  }

  /** Whether the last call moved the safe bound by a full scan (more may follow at once). */
  boolean scannedFully() {
    return scanned == ORDERINGS_PER_POLL;
  }

  private void advanceSafeBound(Connection c) throws SQLException {
    scanned = 0;
    long now = System.nanoTime();
    boolean contiguous = true; // every ordering up to here is present or given up
    long expected = safe + 1;
    try (PreparedStatement st = c.prepareStatement("SELECT \"ordering\" FROM \"event_journal\""
        + " WHERE \"ordering\" > ? ORDER BY \"ordering\" LIMIT " + ORDERINGS_PER_POLL)) {
      st.setLong(1, safe);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          long ordering = rs.getLong(1);
          // Every gap in the scan is timed from when it was first seen, all at once: after
          // a crash there are many (H2 hands out identity values in cached blocks).
          boolean expired = true;
          if (ordering > expected) { // a gap, known by its first missing ordering
            Long seen = missingSince.putIfAbsent(expected, now);
            expired = seen != null && now - seen >= gapTimeoutNanos;
          }
          if (contiguous && !expired) contiguous = false;
          if (contiguous) {
            if (ordering != safe + 1) {
              log.warn("read side: journal orderings {} to {} are missing for longer than"
                  + " fetchrunner.history.gap-timeout (a write that was rolled back, or"
                  + " identity values lost in a crash); passed", safe + 1, ordering - 1);
            }
            safe = ordering;
            scanned++;
          }
          expected = ordering + 1;
        }
      }
    }
    missingSince.headMap(safe, true).clear();
  }

}
