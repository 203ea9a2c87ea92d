package io.fetchrunner.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's transactions that may still write journal rows, as seen by one look: the earliest
 * instant at which any of them may have taken its journal orderings. {@link JournalReader} gives
 * up a gap in the journal's orderings only when every such transaction began after the gap was
 * first seen (see there for why that is a proof). Not thread-safe: one caller at a time.
 *
 * <p>H2 (embedded, or a server shared by several services) lists its sessions in
 * {@code INFORMATION_SCHEMA.SESSIONS}, to an administrator only (anyone else sees their own
 * session alone, which proves nothing: then no gap is ever given up). It does not say when a
 * session's transaction began, so the look takes a lower bound for each other session:
 * <ul>
 *   <li>idle, holding no uncommitted rows: no bound, and whatever it writes later begins now;
 *   <li>running a statement, holding no uncommitted rows: the statement's start (an ordering is
 *       taken inside the INSERT that writes its row, so an earlier statement of the same
 *       transaction took none that may still appear);
 *   <li>holding uncommitted rows: the last look that found it idle or at a fresh statement
 *       (remembered per session), else the session's start.
 * </ul>
 * All instants are the store's clock (H2: its JVM's), never this process's.
 *
 * <p>PostgreSQL gives each transaction's own start: the bound is {@code min(xact_start)} of
 * {@code pg_stat_activity} (this database, other backends) and of
 * {@code pg_prepared_xacts.prepared}, with {@code clock_timestamp()} as the look's instant. A
 * role sees the start of its own sessions' transactions (all the service's nodes use one role)
 * and, only with pg_read_all_stats or as a superuser, of other roles' sessions: when another
 * role's session in this database cannot be seen, the look is "unknown" and no gap is given up.
 */
final class OpenWrites {
  private static final Logger log = LoggerFactory.getLogger(OpenWrites.class);

  /**
   * One look at the store: when it was taken, and the earliest instant at which a transaction
   * still open then may have begun taking orderings ({@code null}: none open; {@link
   * Instant#MIN}: unknown, the sessions cannot be seen).
   */
  record Look(Instant at, Instant oldestBegin) {
    /**
     * Whether a write missing since {@code seenAt} can no longer appear: this look came after
     * it and found every open transaction begun after it.
     */
    boolean provesOver(Instant seenAt) {
      return seenAt.isBefore(at) && (oldestBegin == null || seenAt.isBefore(oldestBegin));
    }
  }

  /** A session as H2 names it: its id and start (ids are not reused, the pair surely not). */
  private record Session(int id, Instant started) {}

  /** Per session: the latest instant after which it has surely begun nothing still open. */
  private final Map<Session, Instant> clearSince = new HashMap<>();
  private boolean warnedNotAdmin;

  Look look(Connection c) throws SQLException {
    if (c.getMetaData().getDatabaseProductName().equalsIgnoreCase("PostgreSQL")) {
      return lookPostgres(c);
    }
    if (!isAdmin(c)) {
      if (!warnedNotAdmin) {
        warnedNotAdmin = true;
        log.warn("read side: the store user is not an administrator, so it cannot see the"
            + " store's open transactions; gaps in the journal's orderings are watched until"
            + " their rows appear, never given up (fetchrunner.store.user)");
      }
      return new Look(Instant.now(), Instant.MIN);
    }
    Instant now = null;
    Instant oldest = null;
    Map<Session, Instant> clear = new HashMap<>();
    try (PreparedStatement st = c.prepareStatement("SELECT SESSION_ID = SESSION_ID(),"
        + " SESSION_ID, SESSION_START, CONTAINS_UNCOMMITTED, EXECUTING_STATEMENT_START"
        + " FROM INFORMATION_SCHEMA.SESSIONS ORDER BY 1 DESC");
         ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        Instant statementStart = instant(rs, 5);
        if (rs.getBoolean(1)) { // this look's own statement (listed first): the look's instant
          now = statementStart;
          continue;
        }
        var session = new Session(rs.getInt(2), instant(rs, 3));
        Instant begin;
        if (rs.getBoolean(4)) {
          begin = clearSince.getOrDefault(session, session.started());
          clear.put(session, begin);
        } else {
          begin = statementStart; // null when idle
          clear.put(session, statementStart == null ? now : statementStart);
        }
        if (begin != null && (oldest == null || begin.isBefore(oldest))) oldest = begin;
      }
    }
    if (now == null) throw new SQLException("INFORMATION_SCHEMA.SESSIONS lacks this session");
    clearSince.clear(); // sessions that closed are forgotten
    clearSince.putAll(clear);
    return new Look(now, oldest);
  }

  private Look lookPostgres(Connection c) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT clock_timestamp(),"
        + " (SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database()"
        + " AND pid <> pg_backend_pid()),"
        + " (SELECT min(prepared) FROM pg_prepared_xacts WHERE database = current_database()),"
        + " (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        + " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        + " AND state IS NULL)");
         ResultSet rs = st.executeQuery()) {
      rs.next();
      Instant now = instant(rs, 1);
      if (rs.getLong(4) > 0) {
        if (!warnedNotAdmin) {
          warnedNotAdmin = true;
          log.warn("read side: the store user cannot see the transactions of other roles'"
              + " sessions in this database (pg_read_all_stats grants it); gaps in the"
              + " journal's orderings are watched until their rows appear, never given up"
              + " while such sessions are open (fetchrunner.store.user)");
        }
        return new Look(now, Instant.MIN);
      }
      Instant oldest = instant(rs, 2);
      Instant prepared = instant(rs, 3);
      if (prepared != null && (oldest == null || prepared.isBefore(oldest))) oldest = prepared;
      return new Look(now, oldest);
    }
  }

  private static boolean isAdmin(Connection c) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT IS_ADMIN FROM INFORMATION_SCHEMA.USERS WHERE USER_NAME = CURRENT_USER");
         ResultSet rs = st.executeQuery()) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
