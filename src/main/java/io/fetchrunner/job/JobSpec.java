package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Instant;
import java.util.List;

/** What a job was asked to do, as recorded when it was accepted. */
public record JobSpec(
    String id, String name, List<String> urls, int concurrency, long timeoutMs,
    Instant submittedAt) implements CborSerializable {}
