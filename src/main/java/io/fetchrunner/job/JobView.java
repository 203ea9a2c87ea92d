package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * A job's summary, one entry per URL in submission order, and its webhook deliveries (empty
 * for a job without a webhook).
 */
public record JobView(JobSummary summary, List<Entry> results, List<Notification> notifications)
    implements CborSerializable {

  public JobView(JobSummary summary, List<Entry> results) {
    this(summary, results, List.of());
  }

  public record Entry(String url, UrlState state, Integer httpStatus, Long bytes, Long latencyMs,
      int attempts, String error, String errorKind, String contentType, String sha256, List<String> redirects,
      List<UrlResult.Attempt> earlierAttempts, Instant startedAt, String etag,
      String lastModified, Boolean notModified)
      implements CborSerializable {}
}
