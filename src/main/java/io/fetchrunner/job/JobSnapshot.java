package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * The stored form of a {@link JobState}: immutable, so it can be serialized off the actor.
 * {@code fetchedOrder}: URL indexes in the order their results were recorded (null in
 * snapshots of versions before the event stream: then taken as URL order);
 * {@code notifications}: its webhook deliveries (null in snapshots of earlier versions);
 * {@code startedPerHost}: where fetching had started in the current run, per host number
 * ({@link DispatchHosts}): how many of each host's URLs in index order, hosts past its end none
 * (null in snapshots of earlier versions: then {@code startedUpTo}, a prefix of the URL list,
 * says it; when present, {@code startedUpTo} is 0).
 */
public record JobSnapshot(
    JobSpec spec, List<UrlResult> results, JobStatus status, Instant finishedAt,
    long closedWallMs, Instant runStartedAt, Instant lastResultAt, int runs, int startedUpTo,
    int refetched, List<Integer> fetchedOrder, List<Notification> notifications,
    List<Integer> startedPerHost)
    implements CborSerializable {}
