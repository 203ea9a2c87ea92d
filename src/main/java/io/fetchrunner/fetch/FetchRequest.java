package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.Map;

/**
 * One attempt's worth of request: what to send, and the limits of the attempt.
 *
 * @param timeout from the first request sent to the last body byte, redirects included
 * @param hostDemand how many requests the job may send to this URL's host at once (its
 *     concurrency, or how many of its URLs are on that host if fewer): sizes the host's pool
 */
public record FetchRequest(String url, String method, Map<String, String> headers, String body,
    Duration timeout, long maxBodyBytes, boolean sha256, int maxRedirects, int hostDemand) {}
