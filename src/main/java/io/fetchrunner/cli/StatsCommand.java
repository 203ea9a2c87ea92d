package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code stats}: the figures of the jobs of a window (GET /stats). */
@Command(name = "stats", header = "Figures of the jobs of a time window.",
    description = {
    "How long the jobs of a window took and what concurrency saved: wall times,",
    "speedup, URL latency percentiles, the slowest hosts."})
final class StatsCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Mixin ServerOptions server;

  @Option(names = "--since", paramLabel = "WHEN", converter = Instants.class,
      description = "Jobs submitted at or after: an ISO-8601 instant or a time ago (24h, 7d).")
  Instant since;

  @Option(names = "--until", paramLabel = "WHEN", converter = Instants.class,
      description = "Jobs submitted before: an ISO-8601 instant or a time ago.")
  Instant until;

  @Option(names = "--name", description = "Jobs whose name contains this (any case).")
  String name;

  @Override
  public Integer call() {
    JsonNode s = server.client().getJson("/stats" + new Query().add("since", since)
        .add("until", until).add("name", name));
    if (server.json) {
      cli.out.println(s);
      return ExitCodes.OK;
    }
    JsonNode jobs = s.path("jobs");
    JsonNode urls = s.path("urls");
    JsonNode wall = s.path("wallMs");
    JsonNode latency = s.path("latencyMs");
    cli.out.printf(Locale.ROOT, "window %s .. %s%s%n", text(s.path("since"), "the beginning"),
        text(s.path("until"), "now"), s.path("name").isTextual()
            ? ", names containing \"" + s.path("name").asText() + "\"" : "");
    cli.out.printf(Locale.ROOT, "jobs %,d: %,d running, %,d completed, %,d cancelled%n",
        jobs.path("total").asLong(), jobs.path("running").asLong(),
        jobs.path("completed").asLong(), jobs.path("cancelled").asLong());
    cli.out.printf(Locale.ROOT, "URLs %,d: %,d succeeded, %,d failed, %,d cancelled, %,d pending"
            + " (success rate %s)%n", urls.path("total").asLong(), urls.path("succeeded").asLong(),
        urls.path("failed").asLong(), urls.path("cancelled").asLong(),
        urls.path("pending").asLong(), urls.path("successRate").isNumber()
            ? String.format(Locale.ROOT, "%.2f%%", urls.path("successRate").asDouble() * 100)
            : "-");
    cli.out.printf(Locale.ROOT, "wall time of %,d finished jobs: p50 %s, p95 %s, max %s; %s in all%n",
        wall.path("jobs").asLong(), Format.ms(wall.path("p50")), Format.ms(wall.path("p95")),
        Format.ms(wall.path("max")), Format.duration(wall.path("sum").asLong()));
    cli.out.printf(Locale.ROOT, "one by one they would have taken %s: speedup %s, saved %s%n",
        Format.duration(wall.path("sumLatencyMs").asLong()), s.path("speedup").isNumber()
            ? String.format(Locale.ROOT, "%.2fx", s.path("speedup").asDouble()) : "-",
        Format.duration(s.path("savedMs").asLong()));
    cli.out.printf(Locale.ROOT, "URL latency (%,d URLs): p50 %s, p95 %s, p99 %s, max %s%n",
        latency.path("urls").asLong(), Format.ms(latency.path("p50")),
        Format.ms(latency.path("p95")), Format.ms(latency.path("p99")),
        Format.ms(latency.path("max")));
    JsonNode hosts = s.path("slowestHosts");
    if (hosts.isArray() && !hosts.isEmpty()) {
      cli.out.println("slowest hosts:");
      String row = "  %-30s  %8s  %7s  %9s  %9s  %9s%n";
      cli.out.printf(Locale.ROOT, row, "HOST", "URLS", "FAILED", "P50", "P95", "MAX");
      for (JsonNode h : hosts) {
        cli.out.printf(Locale.ROOT, row, h.path("host").asText(),
            String.format(Locale.ROOT, "%,d", h.path("urls").asLong()),
            String.format(Locale.ROOT, "%,d", h.path("failed").asLong()),
            Format.ms(h.path("p50")), Format.ms(h.path("p95")), Format.ms(h.path("max")));
      }
    }
    return ExitCodes.OK;
  }

  private static String text(JsonNode node, String ifNull) {
    return node.isTextual() ? node.asText() : ifNull;
  }
}
