package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code watch ID}: follows a job to its end, then prints the summary. */
@Command(name = "watch", header = "Follow a job to its end, then print its summary.",
    description = {
    "Follow a job as it runs (its event stream) and print a summary when it is done:",
    "wall time, speedup, p50/p95 latency, failures by kind. A lost connection is",
    "resumed where it broke."})
final class WatchCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Mixin ServerOptions server;
  @Mixin WatchOptions watch;

  @Parameters(paramLabel = "ID", description = "The job's id.")
  String id;

  @Override
  public Integer call() {
    return follow(cli, server, watch, server.client(), JobIds.check(id));
  }

  /** Follows {@code id} to its end; the exit status (0 all succeeded, 1 some did not). */
  static int follow(Cli cli, ServerOptions server, WatchOptions watch, ServerClient client,
      String id) {
    AtomicBoolean finished = new AtomicBoolean();
    // Ctrl-C ends the JVM with 130; say what goes on and how to follow it again.
    Thread onInterrupt = new Thread(() -> {
      if (!finished.get()) {
        cli.err.println();
        cli.err.println("fetchrunner: stopped following; job " + id + " keeps running on the"
            + " server. Follow it again with: " + Cli.commandName() + " watch " + id);
        cli.err.flush();
      }
    }, "fetchrunner-interrupted");
    Runtime.getRuntime().addShutdownHook(onInterrupt);
    try {
      JsonNode done;
      JobWatch jobWatch;
      try (ProgressView view = watch.view(cli)) {
        jobWatch = new JobWatch(client, id, view, watch.reconnectFor);
        done = jobWatch.follow();
      }
      finished.set(true);
      if (server.json) cli.out.println(jobWatch.summary().json(done));
      else jobWatch.summary().print(done, cli.out);
      cli.out.flush();
      return Format.exitStatus(done);
    } finally {
      finished.set(true);
      try {
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is already ending (Ctrl-C): the hook runs
      }
    }
  }
}
