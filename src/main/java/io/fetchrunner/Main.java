package io.fetchrunner;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import org.slf4j.LoggerFactory;

/** Starts one fetchrunner node from the configuration (see conf/application.conf). */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // With a command, the jar is the command-line client (io.fetchrunner.cli); without, the
    // service.
    if (args.length > 0) {
      System.exit(io.fetchrunner.cli.Cli.run(args, System.out, System.err));
    }
    // Initialise logging on this thread before Pekko's threads log concurrently (otherwise
    // SLF4J prints a warning about replayed start-up messages).
    LoggerFactory.getILoggerFactory();
    try {
      FetchRunner runner = init();
      var openFiles = OpenFiles.limit();
      System.out.println("fetchrunner listening on http://" + runner.host() + ":" + runner.port()
          + " (" + storeLabel(runner.settings()) + ", config: "
          + AppConfig.userConfigOrigin() + ", open-file limit "
          + (openFiles.isPresent() ? String.valueOf(openFiles.getAsLong()) : "unknown")
          + ", fetches in flight at most " + runner.settings().fetch().maxInFlight() + ")");
      // An actor system that stops without being asked to (the store closed under it, a
      // guardian failure, the node downed by the cluster) leaves a process that can do
      // nothing, and may not even end by itself: exit non-zero, so that a supervisor (systemd,
      // Docker's restart policy) starts it again. Off the terminating thread: System.exit
      // waits for the shutdown hooks, one of which waits for the actor system.
      runner.system().getWhenTerminated().thenRun(() -> runner.unplannedStop().ifPresent(
          stop -> new Thread(() -> {
            System.err.println("fetchrunner: the actor system stopped unasked (" + stop.reason()
                + "); exiting with status " + stop.status());
            System.exit(stop.status());
          }, "fetchrunner-exit").start()));
    } catch (StartupException | ConfigException | IllegalArgumentException e) {
      System.err.println("fetchrunner: cannot start: " + Secrets.text(e.getMessage()));
      System.exit(1);
    }
  }

  /** Where the service keeps its records: the data directory, or the database and schema. */
  static String storeLabel(Settings settings) {
    var store = settings.store();
    if (store.isH2()) return "data: " + settings.dataDir();
    String url = store.url();
    int query = url.indexOf('?'); // parameters may hold a password
    return "store: " + (query < 0 ? url : url.substring(0, query)) + ", schema " + store.schema();
  }

  /** The whole start-up, testable: configuration from the usual places (see AppConfig). */
  public static FetchRunner init() throws StartupException {
    return FetchRunner.start(AppConfig.load(ConfigFactory.empty()));
  }
}
