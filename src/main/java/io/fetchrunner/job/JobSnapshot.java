package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Instant;
import java.util.List;

/** The stored form of a {@link JobState}: immutable, so it can be serialized off the actor. */
public record JobSnapshot(
    JobSpec spec, List<UrlResult> results, JobStatus status, Instant finishedAt,
    long closedWallMs, Instant runStartedAt, Instant lastResultAt, int runs, int startedUpTo,
    int refetched)
    implements CborSerializable {}
