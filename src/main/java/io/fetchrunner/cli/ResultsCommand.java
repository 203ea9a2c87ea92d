package io.fetchrunner.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code results ID}: every result of a job, streamed to standard output. */
@Command(name = "results", header = "Print a job's results (ndjson or csv).",
    description = {
    "Print every result of a job, one line per URL, as the server streams it:",
    "ndjson (the default; also --json) or csv."})
final class ResultsCommand implements Callable<Integer> {
  /** The export formats of GET /jobs/{id}/results. */
  enum Form { NDJSON, CSV }

  @ParentCommand Cli cli;
  @Mixin ServerOptions server;

  @Parameters(paramLabel = "ID", description = "The job's id.")
  String id;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "ndjson",
      description = "ndjson or csv (default ${DEFAULT-VALUE}).")
  Form format;

  @Override
  public Integer call() {
    if (server.json && format == Form.CSV) {
      throw CliException.usage("--json and --format csv contradict each other");
    }
    ServerClient client = server.client();
    HttpResponse<InputStream> response = client.stream("/jobs/" + JobIds.check(id)
        + "/results" + new Query().add("format", format.name().toLowerCase()), Map.of());
    try (InputStream in = response.body()) {
      in.transferTo(cli.out);
    } catch (IOException e) {
      throw CliException.server("the export from " + client.server() + " broke off: "
          + ServerClient.describe(e));
    }
    cli.out.flush();
    return ExitCodes.OK;
  }
}
