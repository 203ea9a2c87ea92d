package io.fetchrunner.history;

import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side's queries ({@link HistoryQueries}, blocking JDBC) as futures: each call runs
 * on the executor given (the blocking dispatcher in the service), never on the caller's
 * thread, so the API's routes only compose answers.
 */
public final class HistoryReads {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryReads.class);

  /** Blocking JDBC work. */
  public interface SqlCall<T> {
    T run() throws SQLException;
  }

  private final Executor blocking;

  public HistoryReads(Executor blocking) {
    this.blocking = blocking;
  }

  /**
   * {@code call}'s value; a store failure completes the future with a
   * {@link CompletionException} whose cause is the {@link SQLException} (the API's 503).
   */
  public <T> CompletionStage<T> call(SqlCall<T> call) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return call.run();
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }

  /**
   * {@code call}'s value, for an answer that can do without the read side: {@code none} when
   * the store fails (logged as {@code what}) or the executor refuses (the node stops).
   */
  public <T> CompletionStage<T> orElse(T none, SqlCall<T> call, String what) {
    try {
      return CompletableFuture.supplyAsync(() -> {
        try {
          return call.run();
        } catch (SQLException e) {
          LOG.warn("read side: {} not read ({})", what, e.toString());
          return none;
        }
      }, blocking).exceptionally(e -> none);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(none);
    }
  }
}
