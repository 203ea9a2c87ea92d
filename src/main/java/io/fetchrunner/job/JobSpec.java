package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a job was asked to do, as recorded when it was accepted. {@code requests} holds only
 * the URLs (by index) that are not plain GETs; {@code webhook} is its notify option, or null;
 * {@code rerunOf} the job it re-runs (POST /jobs/{id}/rerun), or null; {@code thresholds} what
 * it must meet to pass, or null; {@code scheduleId} the schedule that submitted it, or null.
 */
public record JobSpec(
    String id, String name, List<String> urls, int concurrency, long timeoutMs,
    Instant submittedAt, FetchPolicy policy, Map<Integer, UrlRequest> requests, Notify webhook,
    String rerunOf, Thresholds thresholds, String scheduleId)
    implements CborSerializable {

  public JobSpec {
    requests = requests == null ? Map.of() : Map.copyOf(requests);
  }

  /** Without a webhook. */
  public JobSpec(String id, String name, List<String> urls, int concurrency, long timeoutMs,
      Instant submittedAt, FetchPolicy policy, Map<Integer, UrlRequest> requests) {
    this(id, name, urls, concurrency, timeoutMs, submittedAt, policy, requests, null, null,
        null, null);
  }

  /** Not a re-run, without thresholds. */
  public JobSpec(String id, String name, List<String> urls, int concurrency, long timeoutMs,
      Instant submittedAt, FetchPolicy policy, Map<Integer, UrlRequest> requests,
      Notify webhook) {
    this(id, name, urls, concurrency, timeoutMs, submittedAt, policy, requests, webhook, null,
        null, null);
  }

  /** Not from a schedule. */
  public JobSpec(String id, String name, List<String> urls, int concurrency, long timeoutMs,
      Instant submittedAt, FetchPolicy policy, Map<Integer, UrlRequest> requests,
      Notify webhook, String rerunOf, Thresholds thresholds) {
    this(id, name, urls, concurrency, timeoutMs, submittedAt, policy, requests, webhook, rerunOf,
        thresholds, null);
  }

  public UrlRequest request(int index) {
    return requests.getOrDefault(index, UrlRequest.GET);
  }
}
