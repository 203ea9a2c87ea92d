package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.JsonMapper;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code list}: the history of jobs, newest first, with the API's filters. */
@Command(name = "list", header = "List jobs, newest first.",
    description = "List jobs, newest first (the history: GET /jobs).")
final class ListCommand implements Callable<Integer> {
  /** A job's state as the API filters it. */
  enum State { RUNNING, COMPLETED, CANCELLED }

  @ParentCommand Cli cli;
  @Mixin ServerOptions server;

  @Option(names = "--state", paramLabel = "STATE", description = "RUNNING, COMPLETED or CANCELLED.")
  State state;

  @Option(names = "--name", description = "Jobs whose name contains this (any case).")
  String name;

  @Option(names = "--since", paramLabel = "WHEN", converter = Instants.class,
      description = "Submitted at or after: an ISO-8601 instant or a time ago (24h, 7d).")
  Instant since;

  @Option(names = "--until", paramLabel = "WHEN", converter = Instants.class,
      description = "Submitted before: an ISO-8601 instant or a time ago.")
  Instant until;

  @Option(names = "--limit", paramLabel = "N", description = "Jobs per page (the server's default 50, at most 1,000).")
  Integer limit;

  @Option(names = "--cursor", description = "The page after this one (printed at the end of a page).")
  String cursor;

  @Option(names = "--all", description = "Follow the pages to the last one.")
  boolean all;

  @Override
  public Integer call() {
    ServerClient client = server.client();
    ArrayNode jobs = JsonMapper.get().createArrayNode();
    String next = cursor;
    boolean header = true;
    do {
      JsonNode page = client.getJson("/jobs" + new Query().add("state", state).add("name", name)
          .add("since", since).add("until", until).add("limit", limit).add("cursor", next));
      next = page.path("nextCursor").isTextual() ? page.path("nextCursor").asText() : null;
      if (server.json) {
        page.path("jobs").forEach(jobs::add);
      } else {
        print(page.path("jobs"), header);
        header = false;
      }
    } while (all && next != null);
    if (server.json) {
      ObjectNode answer = JsonMapper.get().createObjectNode();
      answer.set("jobs", jobs);
      answer.put("nextCursor", next);
      cli.out.println(answer);
    } else if (next != null) {
      cli.out.println("more: " + Cli.commandName() + " list --cursor " + next
          + " (or --all)");
    }
    return ExitCodes.OK;
  }

  private void print(JsonNode jobs, boolean header) {
    String row = "%-36s  %-9s  %8s  %8s  %7s  %10s  %7s  %-20s  %s%n";
    if (header) {
      cli.out.printf(Locale.ROOT, row, "ID", "STATE", "URLS", "OK", "FAILED", "WALL", "SPEEDUP",
          "SUBMITTED", "NAME");
    }
    for (JsonNode j : jobs) {
      String submitted = j.path("submittedAt").asText();
      cli.out.printf(Locale.ROOT, row, j.path("id").asText(), j.path("state").asText(),
          String.format(Locale.ROOT, "%,d", j.path("total").asLong()),
          String.format(Locale.ROOT, "%,d", j.path("succeeded").asLong()),
          String.format(Locale.ROOT, "%,d", j.path("failed").asLong()),
          Format.duration(j.path("wallMs").asLong()),
          j.path("speedup").isNumber()
              ? String.format(Locale.ROOT, "%.2fx", j.path("speedup").asDouble()) : "-",
          submitted.length() > 19 ? submitted.substring(0, 19) + "Z" : submitted,
          j.path("name").asText());
    }
  }
}
