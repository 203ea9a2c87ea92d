package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code cancel ID}: cancels a running job. */
@Command(name = "cancel", header = "Cancel a running job.",
    description = {
    "Cancel a running job: its pending URLs become CANCELLED and requests in flight are",
    "abandoned. Cancelling a finished job is refused (exit 3)."})
final class CancelCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Mixin ServerOptions server;

  @Parameters(paramLabel = "ID", description = "The job's id.")
  String id;

  @Override
  public Integer call() {
    JsonNode job = server.client().delete("/jobs/" + JobIds.check(id));
    if (server.json) {
      cli.out.println(job);
    } else {
      cli.out.println("cancelled " + Format.jobLine(job));
      cli.out.println("  " + Format.counts(job));
    }
    return ExitCodes.OK;
  }
}
