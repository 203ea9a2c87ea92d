package io.fetchrunner.history;

import io.fetchrunner.job.Job;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the job events that follow the read side's offset straight from the journal's tables,
 * in ordering order, and the events that have since appeared at orderings it read past while
 * they were missing (the watched gaps, {@code read_side_gap}).
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
 * <p>Gaps. Journal rows are written by concurrent transactions, so ordering 105 may be visible
 * before 104 commits; 104 may also never come (a write rolled back, or identity values a crash
 * lost: H2 reserves them 1,000 at a time). Waiting at a gap until it fills or a timeout passes
 * froze the read side for the whole timeout after every crash, and lost a write that committed
 * after it. So the reader never waits: it reads past a gap, and the writer stores the gap with
 * the offset; every poll looks the gap up again and applies what appeared in it. Applying an
 * event after later ones is sound because the read side's rows of a job depend on that job's
 * events alone, and those never arrive out of order: a job entity persists its next events only
 * after the previous write committed, so its later events take higher orderings and are not
 * visible before its earlier ones (a single writer per persistence id, and an ordering sequence
 * that hands out increasing values: H2's identity, PostgreSQL's BIGSERIAL without a cache).
 *
 * <p>A gap is given up only when no transaction that could still write into it is open. Its
 * orderings were taken before it was first seen (a higher one was already visible), and
 * {@code seenAt} is taken after that, on the store's clock ({@link OpenWrites}). A later look at
 * the store that finds every open transaction begun after {@code seenAt} proves that the
 * transactions holding those orderings have ended: committed, and then their rows are found by
 * the lookup that follows the look, or rolled back. Several writers (PostgreSQL, an H2 server)
 * change nothing in this. The orderings a crash lost are given up as soon as every session
 * of the restarted service has been seen between transactions once; a rebuild meets them as
 * gaps again and gives them up the same way. Neither waits at them. Not thread-safe: one caller
 * at a time.
 */
final class JournalReader {
  /**
   * Whether journal row {@code j} is a job event. Written as a function of the column so that
   * neither H2 nor PostgreSQL scans the (persistence_id, sequence_number) key for it: the
   * ordering range is the selective condition.
   */
  static final String JOB_EVENT = "LEFT(j.\"persistence_id\", "
      + Job.PERSISTENCE_ID_PREFIX.length() + ") = '" + Job.PERSISTENCE_ID_PREFIX + "'";

  private static final Logger log = LoggerFactory.getLogger(JournalReader.class);

  /** Orderings {@code first} to {@code last} missing since {@code seenAt} (the store's clock). */
  record Gap(long first, long last, Instant seenAt) {
    /** What is left of this gap once {@code found} (ascending, within it) appeared. */
    List<Gap> without(List<Long> found) {
      List<Gap> left = new ArrayList<>();
      long from = first;
      for (long o : found) {
        if (o > from) left.add(new Gap(from, o - 1, seenAt));
        from = o + 1;
      }
      if (from <= last) left.add(new Gap(from, last, seenAt));
      return left;
    }
  }

  /**
   * One poll: the offset and watched gaps it was read from (it is applied only if they are still
   * those), the job events to apply in ordering order, the offset and watched gaps after it, and
   * whether more can be read at once; when the newest row read after the offset was written
   * (epoch ms, the journal's write_timestamp; 0 if none was read).
   */
  record Page(long offset, List<Gap> gaps, List<HistoryWriter.StoredEvent> events,
      long nextOffset, List<Gap> nextGaps, boolean more, long lastWrittenMillis) {}

  private final HistoryStore store;
  private final OpenWrites openWrites = new OpenWrites();
  /** The last look at the store's open transactions, taken after the last poll's lookups. */
  private OpenWrites.Look lastLook;

  JournalReader(HistoryStore store) {
    this.store = store;
  }

  /** The next page: up to {@code limit} rows after the offset, and what appeared in the gaps. */
  Page next(int limit) throws SQLException {
    try (Connection c = store.connect()) {
      long offset = HistoryWriter.offset(c);
      List<Gap> gaps = HistoryWriter.gaps(c);
      // After the offset first, the gaps then, each in one statement: an event read here has
      // every earlier event of its job in this page or an earlier one. Its job's earlier events
      // committed before it was written, so the gaps' lookup, which comes later, sees them.
      List<HistoryWriter.StoredEvent> after = new ArrayList<>();
      List<Long> orderings = new ArrayList<>();
      long lastWritten;
      try (PreparedStatement st = c.prepareStatement("SELECT " + COLUMNS
          + " FROM \"event_journal\" j WHERE j.\"ordering\" > ?"
          + " ORDER BY j.\"ordering\" LIMIT ?")) {
        st.setLong(1, offset);
        st.setInt(2, limit);
        lastWritten = read(st, after, orderings);
      }
      // A gap is below the offset, unless someone emptied read_side_offset by hand: the
      // journal is then read again from there, and gaps above it are dropped.
      List<Gap> below = gaps.stream().filter(g -> g.last() <= offset).toList();
      List<HistoryWriter.StoredEvent> events = new ArrayList<>();
      List<Gap> watched = new ArrayList<>();
      if (!below.isEmpty()) {
        List<Long> found = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement("SELECT " + COLUMNS
            + " FROM read_side_gap g JOIN \"event_journal\" j"
            + " ON j.\"ordering\" BETWEEN g.first_ordering AND g.last_ordering"
            + " WHERE g.projection = ? AND g.last_ordering <= ? ORDER BY j.\"ordering\"")) {
          st.setString(1, HistoryWriter.PROJECTION);
          st.setLong(2, offset);
          read(st, events, found);
        }
        int i = 0;
        for (Gap gap : below) {
          List<Long> inGap = new ArrayList<>();
          while (i < found.size() && found.get(i) <= gap.last()) {
            if (found.get(i) >= gap.first()) inGap.add(found.get(i));
            i++;
          }
          for (Gap missing : gap.without(inGap)) {
            if (lastLook != null && lastLook.provesOver(missing.seenAt())) {
              log.info("read side: journal orderings {} to {} were never written and no"
                  + " longer can be (every open transaction began after they were seen"
                  + " missing: a write rolled back, or values a crash lost); no longer watched",
                  missing.first(), missing.last());
            } else {
              watched.add(missing);
            }
          }
        }
      }
      events.addAll(after);
      long next = orderings.isEmpty() ? offset : orderings.get(orderings.size() - 1);
      List<long[]> newGaps = new ArrayList<>();
      long expected = offset + 1;
      for (long o : orderings) {
        if (o > expected) newGaps.add(new long[] {expected, o - 1});
        expected = o + 1;
      }
      if (!watched.isEmpty() || !newGaps.isEmpty()) {
        lastLook = openWrites.look(c); // after the lookups: the next poll relies on it
        for (long[] g : newGaps) watched.add(new Gap(g[0], g[1], lastLook.at()));
      }
      return new Page(offset, gaps, events, next, watched, orderings.size() == limit,
          lastWritten);
    }
  }

  /**
   * Job events (with a payload) and all orderings, in the order the statement returns them;
   * returns the write time of the last row (0 if none).
   */
  private static long read(PreparedStatement st, List<HistoryWriter.StoredEvent> events,
      List<Long> orderings) throws SQLException {
    long lastWritten = 0;
    try (ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        orderings.add(rs.getLong(1));
        byte[] payload = rs.getBytes(6); // null unless a job event
        if (payload != null) events.add(event(rs, payload));
        lastWritten = rs.getLong(7);
      }
    }
    return lastWritten;
  }

  /** The columns {@link #read} takes; the payload of job events only, and the write time. */
  private static final String COLUMNS = "j.\"ordering\", j.\"persistence_id\","
      + " j.\"sequence_number\", j.\"event_ser_id\", j.\"event_ser_manifest\", CASE WHEN "
      + JOB_EVENT + " AND j.\"deleted\" = FALSE THEN j.\"event_payload\" END,"
      + " j.\"write_timestamp\"";

  private static HistoryWriter.StoredEvent event(ResultSet rs, byte[] payload)
      throws SQLException {
    return new HistoryWriter.StoredEvent(rs.getLong(1), rs.getString(2), rs.getLong(3),
        rs.getInt(4), rs.getString(5), payload);
  }
}
