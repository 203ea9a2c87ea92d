package io.fetchrunner.history;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.fetchrunner.Settings;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Connections of the read side: a small pool of its own on the same store as the journal.
 * The service opens two, one for the projection's writes and one for the queries, so that a
 * burst of exports or statistics never keeps the projection waiting for a connection.
 * Everything in this package runs JDBC on a blocking dispatcher, never on an actor's thread.
 */
public final class HistoryStore implements AutoCloseable {
  private final HikariDataSource pool;
  /** PostgreSQL: stored instants are whole microseconds (timestamptz), text has no U+0000. */
  private final boolean microseconds;

  public HistoryStore(Settings.Store store, String name, int poolSize) {
    this.microseconds = store.isPostgres();
    var config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(store.url());
    config.setUsername(store.user());
    config.setPassword(store.password());
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(store.pool().connectionTimeout().toMillis());
    config.setIdleTimeout(store.pool().idleTimeout().toMillis());
    config.setMaxLifetime(store.pool().maxLifetime().toMillis());
    this.pool = new HikariDataSource(config);
  }

  public Connection connect() throws SQLException {
    return pool.getConnection();
  }

  @Override
  public void close() {
    pool.close();
  }

  /**
   * {@code at} as a bound to compare stored instants with ({@code >=} or {@code <}). On
   * PostgreSQL, which keeps microseconds (its driver sends a parameter to the microsecond, so
   * until = x + 1 ns became x and left x out), the first whole microsecond at or after
   * {@code at}: a stored instant, a whole number of microseconds, is at or after (or before)
   * {@code at} exactly when it is so of that.
   */
  Object bound(Instant at) {
    if (!microseconds || at.getNano() % 1000 == 0) return toDb(at);
    return toDb(at.truncatedTo(java.time.temporal.ChronoUnit.MICROS).plusNanos(1000));
  }

  /**
   * Text as the store can hold it: PostgreSQL refuses the character U+0000 in text (the whole
   * transaction fails, so one job named with it would stop the read side for every job);
   * there it is stored as U+FFFD. Unchanged on H2.
   */
  String text(String s) {
    if (!microseconds || s == null || s.indexOf('\u0000') < 0) return s;
    return s.replace('\u0000', '\uFFFD');
  }

  static OffsetDateTime toDb(Instant at) {
    return at == null ? null : at.atOffset(ZoneOffset.UTC);
  }

  static Instant fromDb(java.sql.ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

}
