package io.fetchrunner.store;

import io.fetchrunner.Settings;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * Notices when the store has been closed under the service. H2 closes an embedded database
 * for good after a fatal error inside it (an OutOfMemoryError while writing, a disk error):
 * from then on no result can be recorded, and the connection pools keep failing. The watch
 * holds one connection of its own, outside every pool (so no pool can replace it with a
 * fresh one), and asks it a trivial query every {@code interval}; when the connection is
 * found closed, {@code onLost} is called once with H2's reason.
 */
public final class StoreWatch implements AutoCloseable {
  private final Connection connection;
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final Cancellable schedule;

  private StoreWatch(Connection connection, ActorSystem<?> system, Duration interval,
      Consumer<String> onLost) {
    this.connection = connection;
    var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.schedule = system.scheduler().scheduleWithFixedDelay(interval, interval, () -> {
      if (stopped.get()) return;
      String lost = probe();
      if (lost != null && stopped.compareAndSet(false, true)) onLost.accept(lost);
    }, blocking);
  }

  public static StoreWatch start(ActorSystem<?> system, Settings.Store store, Duration interval,
      Consumer<String> onLost) throws SQLException {
    return new StoreWatch(Schema.connect(store), system, interval, onLost);
  }

  /** Null while the store answers; H2's message once its connection is closed. */
  private String probe() {
    try (Statement st = connection.createStatement()) {
      st.execute("SELECT 1");
      return null;
    } catch (SQLNonTransientConnectionException e) {
      return e.getMessage();
    } catch (SQLException e) {
      return null; // busy or slow: not closed
    }
  }

  /** Stops watching (a shutdown closes the store on purpose). */
  public void stop() {
    stopped.set(true);
    schedule.cancel();
  }

  @Override
  public void close() {
    stop();
    try {
      connection.close();
    } catch (SQLException ignored) {
      // closing anyway
    }
  }
}
