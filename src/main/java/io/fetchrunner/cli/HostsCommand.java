package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code hosts}: the hosts the server holds back now (GET /hosts). */
@Command(name = "hosts", header = "Print the hosts the server holds back now.",
    description = {
    "Print the hosts the server slows down, blocks or skips now (after 429 or 503 answers,",
    "or connection failures in a row), why, and until when. Hosts at full speed are not",
    "listed."})
final class HostsCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Mixin ServerOptions server;

  @Override
  public Integer call() {
    JsonNode body = server.client().getJson("/hosts");
    if (server.json) {
      cli.out.println(body);
      return ExitCodes.OK;
    }
    JsonNode hosts = body.path("hosts");
    if (hosts.isEmpty()) {
      cli.out.println("no host is held back");
    }
    for (JsonNode h : hosts) {
      StringBuilder line = new StringBuilder(h.path("host").asText())
          .append(": ").append(h.path("state").asText());
      if (h.path("until").isTextual()) line.append(" until ").append(h.path("until").asText());
      if (h.path("concurrency").isNumber()) {
        line.append(", ").append(h.path("concurrency").asInt()).append(" of ")
            .append(h.path("concurrencyBefore").asInt()).append(" in flight allowed");
      }
      line.append(", ").append(h.path("delayedRequests").asLong()).append(" requests delayed");
      cli.out.println(line);
      cli.out.println("  " + h.path("reason").asText() + " (since " + h.path("since").asText()
          + ")");
    }
    cli.out.println(body.path("slowdowns").asLong() + " slow-downs, "
        + body.path("delayedRequests").asLong() + " requests delayed, "
        + body.path("failedFast").asLong() + " failed fast since the start");
    return ExitCodes.OK;
  }
}
