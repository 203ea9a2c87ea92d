package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.util.List;

/** A validated request to run a job, before it has an id. */
public record JobRequest(String name, List<String> urls, int concurrency, long timeoutMs)
    implements CborSerializable {}
