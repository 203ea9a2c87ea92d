package io.fetchrunner.cli;

import picocli.CommandLine.Option;

/** The options every command takes: where the service is, its token, JSON output. */
final class ServerOptions {
  @Option(names = "--server", paramLabel = "URL",
      defaultValue = "${env:FETCHRUNNER_URL:-http://127.0.0.1:8080}",
      description = "The service (default: env FETCHRUNNER_URL, else ${DEFAULT-VALUE}).")
  String server;

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:FETCHRUNNER_API_TOKEN}",
      description = "The service's API token (default: env FETCHRUNNER_API_TOKEN).")
  String token;

  @Option(names = "--json", description = "Print JSON for scripts instead of text.")
  boolean json;

  ServerClient client() {
    return new ServerClient(server, token);
  }
}
