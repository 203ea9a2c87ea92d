package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.JsonMapper;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a followed job's results add up to: latency percentiles of the URLs fetched and the
 * failures grouped by {@code errorKind}, each kind with one example. Fed from {@code result}
 * events, each once (the stream resumes with Last-Event-ID, so none comes twice).
 */
final class RunSummary {
  /** One kind of failure: how many, and the first URL that failed so. */
  record Failures(int count, String exampleUrl, String exampleError) {}

  private long[] latencies = new long[256];
  private int fetched;
  private final Map<String, Failures> failures = new TreeMap<>();

  void add(JsonNode result) {
    String state = result.path("state").asText();
    if ("SUCCEEDED".equals(state) || "FAILED".equals(state)) {
      if (fetched == latencies.length) latencies = Arrays.copyOf(latencies, fetched * 2);
      latencies[fetched++] = result.path("latencyMs").asLong();
    }
    if ("FAILED".equals(state) || "CANCELLED".equals(state)) {
      String kind = result.path("errorKind").asText("other");
      failures.merge(kind, new Failures(1, result.path("url").asText(),
              result.path("error").asText("")),
          (a, b) -> new Failures(a.count() + 1, a.exampleUrl(), a.exampleError()));
    }
  }

  /** Nearest-rank percentile of the latencies (as the service's /stats computes them). */
  Long percentile(int p) {
    if (fetched == 0) return null;
    long[] sorted = Arrays.copyOf(latencies, fetched);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p * (double) fetched / 100.0);
    return sorted[Math.max(rank, 1) - 1];
  }

  Map<String, Failures> failures() {
    return failures;
  }

  /** The final summary for people. */
  void print(JsonNode job, PrintStream out) {
    out.println(Format.jobLine(job));
    out.println("  " + Format.counts(job));
    out.println("  " + Format.timing(job));
    Long p50 = percentile(50);
    if (p50 != null) {
      out.printf("  latency p50 %s, p95 %s, max %s (%d URLs fetched)%n", Format.ms(p50),
          Format.ms(percentile(95)), Format.ms(percentile(100)), fetched);
    }
    if (!failures.isEmpty()) {
      out.println("  failures by kind:");
      int width = failures.keySet().stream().mapToInt(String::length).max().orElse(0);
      failures.forEach((kind, f) -> out.printf("    %-" + width + "s %6d  e.g. %s: %s%n", kind,
          f.count(), f.exampleUrl(), f.exampleError()));
    }
  }

  /** The final summary for scripts: the job's summary with the figures added. */
  JsonNode json(JsonNode job) {
    ObjectNode node = JsonMapper.get().createObjectNode();
    node.set("job", job);
    ObjectNode latency = node.putObject("latencyMs");
    latency.put("urls", fetched);
    putOrNull(latency, "p50", percentile(50));
    putOrNull(latency, "p95", percentile(95));
    putOrNull(latency, "max", percentile(100));
    ObjectNode byKind = node.putObject("failuresByKind");
    Map<String, Failures> ordered = new LinkedHashMap<>(failures);
    ordered.forEach((kind, f) -> {
      ObjectNode k = byKind.putObject(kind);
      k.put("count", f.count());
      k.put("exampleUrl", f.exampleUrl());
      k.put("exampleError", f.exampleError());
    });
    return node;
  }

  private static void putOrNull(ObjectNode node, String field, Long value) {
    if (value == null) node.putNull(field);
    else node.put(field, value);
  }
}
