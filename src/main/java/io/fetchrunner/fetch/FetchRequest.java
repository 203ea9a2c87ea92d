package io.fetchrunner.fetch;

import java.time.Duration;
import java.util.Map;

/**
 * One attempt's worth of request: what to send, and the limits of the attempt.
 *
 * @param timeout from the first request handed to an open connection to the last body byte,
 *     redirects included
 */
public record FetchRequest(String url, String method, Map<String, String> headers, String body,
    Duration timeout, long maxBodyBytes, boolean sha256, int maxRedirects) {}
