package io.fetchrunner.job;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fetchrunner.CborSerializable;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A validated request to run a job, before it has an id. {@code requests} holds the URLs
 * (by index) that are not plain GETs; it is empty for most jobs.
 */
public record JobRequest(String name, List<String> urls, int concurrency, long timeoutMs,
    FetchPolicy policy, Map<Integer, UrlRequest> requests, Notify webhook,
    // Left out of the fingerprint when null: requests fingerprinted before it existed match.
    @JsonInclude(JsonInclude.Include.NON_NULL) String rerunOf,
    @JsonInclude(JsonInclude.Include.NON_NULL) Thresholds thresholds,
    @JsonInclude(JsonInclude.Include.NON_NULL) String scheduleId,
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean conditional)
    implements CborSerializable {

  /** What the previous run got for a URL: sent back as If-None-Match, If-Modified-Since. */
  public record Validators(String etag, String lastModified) implements CborSerializable {}

  /**
   * The same request with each GET or HEAD URL that has {@code validators} (by URL) asking
   * conditionally: If-None-Match with its ETag, If-Modified-Since with its Last-Modified,
   * unless the URL gives those headers itself.
   */
  public JobRequest withValidators(Map<String, Validators> validators) {
    Map<Integer, UrlRequest> asked = new java.util.HashMap<>(requests);
    for (int i = 0; i < urls.size(); i++) {
      Validators v = validators.get(urls.get(i));
      if (v == null || (v.etag() == null && v.lastModified() == null)) continue;
      UrlRequest own = requests.getOrDefault(i, UrlRequest.GET);
      if (!own.method().equals("GET") && !own.method().equals("HEAD")) continue;
      Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      headers.putAll(own.headers());
      if (v.etag() != null) headers.putIfAbsent("If-None-Match", v.etag());
      if (v.lastModified() != null) headers.putIfAbsent("If-Modified-Since", v.lastModified());
      asked.put(i, new UrlRequest(own.method(), Map.copyOf(headers), own.body()));
    }
    return new JobRequest(name, urls, concurrency, timeoutMs, policy, asked, webhook, rerunOf,
        thresholds, scheduleId, conditional);
  }

  /** The same request with {@code policy}. */
  public JobRequest withPolicy(FetchPolicy policy) {
    return new JobRequest(name, urls, concurrency, timeoutMs, policy, requests, webhook, rerunOf,
        thresholds, scheduleId, conditional);
  }

  /** Whether each run asks with the previous run's validators. */
  @JsonIgnore
  public boolean isConditional() {
    return Boolean.TRUE.equals(conditional);
  }

  public JobRequest {
    requests = requests == null ? Map.of() : Map.copyOf(requests);
  }

  /** Not a re-run. */
  public JobRequest(String name, List<String> urls, int concurrency, long timeoutMs,
      FetchPolicy policy, Map<Integer, UrlRequest> requests, Notify webhook) {
    this(name, urls, concurrency, timeoutMs, policy, requests, webhook, null, null, null, null);
  }

  /** With its re-run link and thresholds, not from a schedule. */
  public JobRequest(String name, List<String> urls, int concurrency, long timeoutMs,
      FetchPolicy policy, Map<Integer, UrlRequest> requests, Notify webhook, String rerunOf,
      Thresholds thresholds) {
    this(name, urls, concurrency, timeoutMs, policy, requests, webhook, rerunOf, thresholds,
        null, null);
  }

  /** The same request, submitted by the schedule {@code id}. */
  public JobRequest forSchedule(String id) {
    return new JobRequest(name, urls, concurrency, timeoutMs, policy, requests, webhook,
        rerunOf, thresholds, id, conditional);
  }

  /** The same request, asking conditionally ({@code true}) or not. */
  public JobRequest withConditional(boolean on) {
    return new JobRequest(name, urls, concurrency, timeoutMs, policy, requests, webhook,
        rerunOf, thresholds, scheduleId, on ? Boolean.TRUE : null);
  }

  /** Without a webhook. */
  public JobRequest(String name, List<String> urls, int concurrency, long timeoutMs,
      FetchPolicy policy, Map<Integer, UrlRequest> requests) {
    this(name, urls, concurrency, timeoutMs, policy, requests, null, null, null, null, null);
  }

  private static final ObjectMapper CANONICAL = new ObjectMapper()
      .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  /** SHA-256 of the request's canonical JSON: equal requests, equal fingerprints. */
  public String fingerprint() {
    try {
      byte[] json = CANONICAL.writeValueAsBytes(this);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
    } catch (Exception e) {
      throw new IllegalStateException("cannot fingerprint a job request", e);
    }
  }
}
