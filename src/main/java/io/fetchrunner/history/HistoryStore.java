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

  public HistoryStore(Settings.Store store, String name, int poolSize) {
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

  static OffsetDateTime toDb(Instant at) {
    return at == null ? null : at.atOffset(ZoneOffset.UTC);
  }

  static Instant fromDb(java.sql.ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

}
