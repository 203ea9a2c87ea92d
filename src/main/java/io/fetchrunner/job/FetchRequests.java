package io.fetchrunner.job;

import io.fetchrunner.HostSettings;
import io.fetchrunner.Secrets;
import io.fetchrunner.Settings;
import io.fetchrunner.fetch.FetchRequest;
import io.fetchrunner.fetch.JobPace;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The requests of one job's URLs: the job's policy, its headers under each URL's own, and a
 * user and password in the URL sent as Basic authorization. Built once per job incarnation
 * (the job's merged headers are shared by every URL without headers of its own).
 */
final class FetchRequests {
  private static final String AUTHORIZATION = "Authorization";

  private final JobSpec spec;
  private final FetchPolicy policy;
  private final Settings.Fetch fetch;
  private final Map<String, String> jobHeaders;
  /** The job's pacing of each host, fail-fast and robots.txt choice, shared by its requests. */
  private final JobPace pace;

  FetchRequests(JobSpec spec, Settings.Fetch fetch) {
    this.spec = spec;
    this.fetch = fetch;
    this.policy = policy(spec, fetch);
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.putAll(policy.headers());
    this.jobHeaders = Collections.unmodifiableMap(headers);
    PerHost own = policy.perHost();
    Duration minDelay = Duration.ofMillis(
        own == null || own.minDelayMs() == null ? 0 : own.minDelayMs());
    double rate = own == null || own.ratePerSecond() == null ? 0 : own.ratePerSecond();
    this.pace = new JobPace(HostSettings.interval(rate, minDelay), minDelay,
        own == null ? null : own.groupBy(), policy.failsFast(), policy.obeysRobots());
  }

  JobPace pace() {
    return pace;
  }

  /** The job's policy; jobs stored before policies existed get the configured defaults. */
  static FetchPolicy policy(JobSpec spec, Settings.Fetch fetch) {
    if (spec.policy() != null) return spec.policy();
    return new FetchPolicy(0, 0, fetch.maxBodyBytes(), false, Map.of());
  }

  /**
   * The request for URL {@code index}. A user and password in the URL are sent as Basic
   * authorization, unless the job or the URL gives its own Authorization header; the fetcher
   * gets the URL without them.
   */
  FetchRequest request(int index) {
    UrlRequest request = spec.request(index);
    Secrets.Target target = Secrets.target(spec.urls().get(index));
    boolean addAuthorization = target.authorization() != null
        && !jobHeaders.containsKey(AUTHORIZATION)
        && request.headers().keySet().stream().noneMatch(AUTHORIZATION::equalsIgnoreCase);
    Map<String, String> headers = jobHeaders; // most URLs have no headers of their own
    if (!request.headers().isEmpty() || addAuthorization) {
      headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      headers.putAll(jobHeaders);
      headers.putAll(request.headers());
      if (addAuthorization) headers.put(AUTHORIZATION, target.authorization());
    }
    return new FetchRequest(target.url(), request.method(), headers, request.body(),
        Duration.ofMillis(spec.timeoutMs()), policy.maxBodyBytes(), policy.sha256(),
        policy.maxRedirects(), pace);
  }

  /** How a URL's worker retries: the job's retries, the service's back-off bounds. */
  UrlFetcher.RetryPolicy retry() {
    return new UrlFetcher.RetryPolicy(policy.retries(), fetch.retryBackoffMin(),
        fetch.retryBackoffMax(), fetch.maxRetryAfter());
  }
}
