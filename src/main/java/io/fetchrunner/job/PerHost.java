package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;

/**
 * A job's own per-host limits ({@code "perHost"}), narrower than the service's
 * (fetchrunner.fetch.per-host-concurrency and per-host): null fields leave the service's.
 *
 * @param concurrency the job's requests in flight to one host at most
 * @param ratePerSecond the job's requests a second to one host at most
 * @param minDelayMs between two of the job's requests to one host at least
 * @param groupBy what one host is for these limits: "host" (host:port, the default) or
 *     "domain" (the registrable domain)
 */
public record PerHost(Integer concurrency, Double ratePerSecond, Long minDelayMs,
    String groupBy) implements CborSerializable {}
