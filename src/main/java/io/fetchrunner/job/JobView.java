package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.util.List;

/** A job's summary and one entry per URL, in submission order. */
public record JobView(JobSummary summary, List<Entry> results) implements CborSerializable {

  public record Entry(String url, UrlState state, Integer httpStatus, Long bytes, Long latencyMs,
      int attempts, String error, String errorKind, String contentType, String sha256, List<String> redirects,
      List<UrlResult.Attempt> earlierAttempts) implements CborSerializable {}
}
