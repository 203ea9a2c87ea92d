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
 * The read side's connections: a small pool of its own on the same store as the journal.
 * Everything in this package runs JDBC on a blocking dispatcher, never on an actor's thread.
 */
public final class HistoryStore implements AutoCloseable {
  private final HikariDataSource pool;

  public HistoryStore(Settings.Store store, int poolSize) {
    var config = new HikariConfig();
    config.setPoolName("fetchrunner-history");
    config.setJdbcUrl(store.url());
    config.setUsername(store.user());
    config.setPassword(store.password());
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(1);
    this.pool = new HikariDataSource(config);
  }

  public Connection connect() throws SQLException {
    return pool.getConnection();
  }

  @Override
  public void close() {
    pool.close();
  }

  static OffsetDateTime toDb(Instant at) {
    return at == null ? null : at.atOffset(ZoneOffset.UTC);
  }

  static Instant fromDb(java.sql.ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

}
