package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures of GET /stats computed in the test from jobs as JSON (the live view, or jobs
 * rebuilt from journal events by the test): counts, success rate, nearest-rank percentiles
 * (the value at rank ceil(p * n) of the ascending list), speedup, and the slowest hosts.
 */
final class Expected {
  private final Map<String, Object> figures = new TreeMap<>();

  private Expected() {}

  /** {@code jobs}: objects with the summary fields and {@code results} (url, state, latencyMs). */
  static Expected stats(List<JsonNode> jobs) {
    var e = new Expected();
    long running = 0;
    long completed = 0;
    long cancelledJobs = 0;
    long total = 0;
    long succeeded = 0;
    long failed = 0;
    long cancelled = 0;
    List<Long> walls = new ArrayList<>();
    long sumWall = 0;
    long sumLatency = 0;
    List<Long> latencies = new ArrayList<>();
    Map<String, List<Long>> hostLatencies = new TreeMap<>();
    Map<String, Long> hostFailed = new TreeMap<>();
    for (JsonNode j : jobs) {
      switch (j.get("state").asText()) {
        case "RUNNING" -> running++;
        case "COMPLETED" -> completed++;
        default -> cancelledJobs++;
      }
      total += j.get("total").asLong();
      succeeded += j.get("succeeded").asLong();
      failed += j.get("failed").asLong();
      cancelled += j.get("cancelled").asLong();
      if (!j.get("state").asText().equals("RUNNING")) {
        walls.add(j.get("wallMs").asLong());
        sumWall += j.get("wallMs").asLong();
        sumLatency += j.get("sumLatencyMs").asLong();
      }
      for (JsonNode r : j.get("results")) {
        String state = r.get("state").asText();
        if (!state.equals("SUCCEEDED") && !state.equals("FAILED")) continue;
        long latency = r.get("latencyMs").asLong();
        latencies.add(latency);
        String host = host(r.get("url").asText());
        hostLatencies.computeIfAbsent(host, h -> new ArrayList<>()).add(latency);
        hostFailed.merge(host, state.equals("FAILED") ? 1L : 0L, Long::sum);
      }
    }
    e.figures.put("jobs", List.of(running + completed + cancelledJobs, running, completed,
        cancelledJobs));
    e.figures.put("urls", List.of(total, succeeded, failed, cancelled,
        total - succeeded - failed - cancelled));
    e.figures.put("successRate", succeeded + failed == 0 ? null
        : Math.round(succeeded * 10_000.0 / (succeeded + failed)) / 10_000.0);
    e.figures.put("wallMs", percentiles(walls));
    e.figures.put("wallSums", List.of(sumWall, sumLatency, sumLatency - sumWall));
    e.figures.put("speedup", sumWall > 0 && sumLatency > 0
        ? Math.round(sumLatency * 100.0 / sumWall) / 100.0 : null);
    e.figures.put("latencyMs", percentiles(latencies));
    List<List<Object>> hosts = new ArrayList<>();
    hostLatencies.forEach((host, values) -> {
      List<Object> row = new ArrayList<>();
      row.add(host);
      row.add((long) values.size());
      row.add(hostFailed.get(host));
      row.addAll(percentiles(values).subList(1, 5));
      hosts.add(row);
    });
    hosts.sort(Comparator.<List<Object>, Long>comparing(r -> (Long) r.get(4)).reversed()
        .thenComparing(Comparator.<List<Object>, Long>comparing(r -> (Long) r.get(6)).reversed())
        .thenComparing(r -> (String) r.get(0)));
    e.figures.put("hosts", hosts.subList(0, Math.min(10, hosts.size())));
    return e;
  }

  /** [n, p50, p95, p99, max] by nearest rank; nulls when empty. */
  static List<Long> percentiles(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    List<Long> out = new ArrayList<>();
    out.add((long) sorted.size());
    for (int pct : new int[] {50, 95, 99, 100}) {
      out.add(sorted.isEmpty() ? null : sorted.get((pct * sorted.size() + 99) / 100 - 1));
    }
    return out;
  }

  static String host(String url) {
    URI uri = URI.create(url);
    return uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
  }

  /** What the service answered, in the same shape. */
  static Expected of(JsonNode s) {
    var e = new Expected();
    JsonNode j = s.get("jobs");
    e.figures.put("jobs", List.of(j.get("total").asLong(), j.get("running").asLong(),
        j.get("completed").asLong(), j.get("cancelled").asLong()));
    JsonNode u = s.get("urls");
    e.figures.put("urls", List.of(u.get("total").asLong(), u.get("succeeded").asLong(),
        u.get("failed").asLong(), u.get("cancelled").asLong(), u.get("pending").asLong()));
    e.figures.put("successRate", u.get("successRate").isNull() ? null
        : u.get("successRate").asDouble());
    JsonNode w = s.get("wallMs");
    e.figures.put("wallMs", longs(w.get("jobs"), w.get("p50"), w.get("p95"), w.get("p99"),
        w.get("max")));
    e.figures.put("wallSums", List.of(w.get("sum").asLong(), w.get("sumLatencyMs").asLong(),
        s.get("savedMs").asLong()));
    e.figures.put("speedup", s.get("speedup").isNull() ? null : s.get("speedup").asDouble());
    JsonNode l = s.get("latencyMs");
    e.figures.put("latencyMs", longs(l.get("urls"), l.get("p50"), l.get("p95"), l.get("p99"),
        l.get("max")));
    List<List<Object>> hosts = new ArrayList<>();
    for (JsonNode h : s.get("slowestHosts")) {
      List<Object> row = new ArrayList<>();
      row.add(h.get("host").asText());
      row.addAll(longs(h.get("urls"), h.get("failed"), h.get("p50"), h.get("p95"),
          h.get("p99"), h.get("max")));
      hosts.add(row);
    }
    e.figures.put("hosts", hosts);
    return e;
  }

  private static List<Long> longs(JsonNode... nodes) {
    List<Long> out = new ArrayList<>();
    for (JsonNode n : nodes) out.add(n == null || n.isNull() ? null : n.asLong());
    return out;
  }

  void assertMatches(JsonNode stats) {
    assertEquals(figures, of(stats).figures, () -> "stats answered " + stats);
  }
}
