package io.fetchrunner.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** How a job is followed: the progress display and how long to wait for a lost server. */
final class WatchOptions {
  /** Where the progress goes. */
  enum Progress { AUTO, BAR, LINES, NONE }

  @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
      description = "auto (a bar on a terminal, lines otherwise), bar, lines or none.")
  Progress progress;

  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
      converter = Durations.class,
      description = "At most one progress line per DURATION (default ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(names = "--reconnect-for", paramLabel = "DURATION", defaultValue = "2m",
      converter = Durations.class,
      description = "How long to keep reconnecting to a server that went away "
          + "(default ${DEFAULT-VALUE}).")
  Duration reconnectFor;

  ProgressView view(Cli cli) {
    boolean terminal = System.console() != null;
    return switch (progress) {
      case AUTO -> ProgressView.forOutput(cli.err, terminal, interval);
      case BAR -> ProgressView.forOutput(cli.err, true, interval);
      case LINES -> ProgressView.forOutput(cli.err, false, interval);
      case NONE -> ProgressView.none(cli.err);
    };
  }
}
