package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.Map;

/**
 * One attempt's worth of request: what to send, and the limits of the attempt.
 *
 * @param pace the job's own pacing, fail-fast and robots.txt choice, shared by its requests
 * @param timeout from the first request handed to an open connection to the last body byte,
 *     redirects included
 */
public record FetchRequest(String url, String method, Map<String, String> headers, String body,
    Duration timeout, long maxBodyBytes, boolean sha256, int maxRedirects, JobPace pace) {

  public FetchRequest {
    if (pace == null) pace = JobPace.NONE;
  }

  /** A request of no job's own pacing ({@link JobPace#NONE}). */
  public FetchRequest(String url, String method, Map<String, String> headers, String body,
      Duration timeout, long maxBodyBytes, boolean sha256, int maxRedirects) {
    this(url, method, headers, body, timeout, maxBodyBytes, sha256, maxRedirects,
        JobPace.NONE);
  }
}
