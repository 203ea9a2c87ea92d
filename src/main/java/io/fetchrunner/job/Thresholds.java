package io.fetchrunner.job;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fetchrunner.CborSerializable;
import java.util.List;

/**
 * What a job must meet to pass (each optional; null: not checked). Latency percentiles are
 * nearest-rank over the URLs with a fetch result (SUCCEEDED or FAILED), as in /stats;
 * {@code failureRate} is failed / (succeeded + failed); {@code wallMs} and
 * {@code speedupAtLeast} are the job's own figures.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Thresholds(Long p50LatencyMs, Long p95LatencyMs, Long p99LatencyMs,
    Double failureRate, Long wallMs, Double speedupAtLeast) implements CborSerializable {

  /** The names a request may give, in the order checks are reported. */
  public static final List<String> NAMES = List.of("p50LatencyMs",
      "p95LatencyMs", "p99LatencyMs", "failureRate", "wallMs", "speedupAtLeast");

  @JsonIgnore
  public boolean isEmpty() {
    return p50LatencyMs == null && p95LatencyMs == null && p99LatencyMs == null
        && failureRate == null && wallMs == null && speedupAtLeast == null;
  }
}
