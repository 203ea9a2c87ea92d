package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code show ID}: a job's summary. */
@Command(name = "show", header = "Print a job's summary.",
    description = {
    "Print a job's summary (exit 0 when none of its URLs failed or was cancelled, 1 if",
    "some did)."})
final class ShowCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Mixin ServerOptions server;

  @Parameters(paramLabel = "ID", description = "The job's id.")
  String id;

  @Override
  public Integer call() {
    JsonNode job = server.client().getJson("/jobs/" + JobIds.check(id) + "?results=false");
    if (server.json) {
      cli.out.println(job);
    } else {
      cli.out.println(Format.jobLine(job));
      cli.out.println("  " + Format.counts(job));
      cli.out.println("  " + Format.timing(job));
      cli.out.println("  submitted " + job.path("submittedAt").asText()
          + (job.path("finishedAt").isTextual()
              ? ", finished " + job.path("finishedAt").asText() : ""));
      JsonNode notifications = job.path("notifications");
      if (notifications.isArray()) {
        for (JsonNode n : notifications) {
          cli.out.println("  webhook " + n.path("event").asText() + ": "
              + n.path("state").asText() + " after " + n.path("attempts").asLong()
              + " attempt(s)" + (n.path("lastStatus").isNumber()
                  ? ", last status " + n.path("lastStatus").asInt() : "")
              + (n.path("lastError").isTextual() ? ", last error: " + n.path("lastError").asText()
                  : ""));
        }
      }
    }
    return Format.exitStatus(job);
  }
}
