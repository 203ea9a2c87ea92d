package io.fetchrunner.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fetchrunner.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The supervisor's state: the jobs it must still know about, in submission order. Those are
 * the jobs that have not ended (to wake them after a restart) and, for
 * {@code keyRetention} after their submission, the ended jobs accepted under an
 * Idempotency-Key (to answer a repeated submission with them). Every other job is forgotten as
 * soon as it ends: it used to stay for good, with its final summary, so the state, each of its
 * snapshots and every recovery grew with every job ever accepted. Pruning depends on the
 * events alone (their instants, not the clock), so a replay reaches the same state. The
 * history users query is the read side, not this. Mutable inside for O(1) updates; it never
 * leaves the supervisor except as an immutable {@link Snapshot}.
 */
public final class JobRegistry implements CborSerializable {

  /** How long an Idempotency-Key is remembered after its job was submitted, by default. */
  public static final Duration DEFAULT_KEY_RETENTION = Duration.ofHours(24);

  /** One accepted job. {@code finalSummary} is null while it runs. */
  public record Entry(String id, String name, Instant submittedAt, int total,
      JobSummary finalSummary, boolean abandoned, String idempotencyKey, String fingerprint)
      implements CborSerializable {

    Entry with(JobSummary summary, boolean abandoned) {
      return new Entry(id, name, submittedAt, total, summary, abandoned, idempotencyKey,
          fingerprint);
    }

    boolean ended() {
      return finalSummary != null || abandoned;
    }
  }

  public record Snapshot(List<Entry> entries) implements CborSerializable {}

  private final Duration keyRetention;
  /** By id, in submission order. */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
  /** Job ids by Idempotency-Key. */
  private final Map<String, String> byIdempotencyKey = new HashMap<>();

  public JobRegistry() {
    this(DEFAULT_KEY_RETENTION);
  }

  public JobRegistry(Duration keyRetention) {
    this.keyRetention = keyRetention;
  }

  public JobRegistry apply(JobSupervisor.Event event) {
    if (event instanceof JobSupervisor.JobRegistered e) {
      forgetKeysSubmittedBefore(e.submittedAt().minus(keyRetention));
      add(new Entry(e.id(), e.name(), e.submittedAt(), e.total(), null, false,
          e.idempotencyKey(), e.fingerprint()));
    } else if (event instanceof JobSupervisor.JobRecordedAsEnded e) {
      update(e.summary().id(), old -> old.with(e.summary(), false));
    } else if (event instanceof JobSupervisor.JobAbandoned e) {
      update(e.id(), old -> old.with(null, true));
    }
    return this;
  }

  private void add(Entry e) {
    entries.put(e.id(), e);
    if (e.idempotencyKey() != null) byIdempotencyKey.put(e.idempotencyKey(), e.id());
    forgetIfDone(e);
  }

  /** An ended job is kept only while its Idempotency-Key may be repeated. */
  private void forgetIfDone(Entry e) {
    if (e.ended() && (e.idempotencyKey() == null || e.abandoned())) remove(e);
  }

  private void remove(Entry e) {
    entries.remove(e.id());
    if (e.idempotencyKey() != null && e.id().equals(byIdempotencyKey.get(e.idempotencyKey()))) {
      byIdempotencyKey.remove(e.idempotencyKey());
    }
  }

  /** Ended jobs submitted before {@code cutoff}, oldest first, until a later one. */
  private void forgetKeysSubmittedBefore(Instant cutoff) {
    var it = entries.values().iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      if (!e.submittedAt().isBefore(cutoff)) break;
      if (!e.ended()) continue; // still running: kept, whatever its age
      it.remove();
      if (e.idempotencyKey() != null && e.id().equals(byIdempotencyKey.get(e.idempotencyKey()))) {
        byIdempotencyKey.remove(e.idempotencyKey());
      }
    }
  }

  /** The job accepted under this Idempotency-Key, if remembered (abandoned ones do not count). */
  public Entry byIdempotencyKey(String key) {
    String id = byIdempotencyKey.get(key);
    Entry e = id == null ? null : entries.get(id);
    return e == null || e.abandoned() ? null : e;
  }

  private void update(String id, UnaryOperator<Entry> change) {
    Entry old = entries.get(id);
    if (old == null) return;
    Entry changed = change.apply(old);
    entries.put(id, changed);
    forgetIfDone(changed);
  }

  /** The job, while the registry knows it (not ended, or ended under a remembered key). */
  public Entry get(String id) {
    return entries.get(id);
  }

  /** Jobs that were accepted and have not been recorded as ended or abandoned. */
  public List<Entry> unfinished() {
    return entries.values().stream().filter(e -> !e.ended()).toList();
  }

  /** How many jobs the registry knows. */
  public int size() {
    return entries.size();
  }

  @JsonValue
  public Snapshot toSnapshot() {
    return new Snapshot(List.copyOf(entries.values()));
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static JobRegistry fromSnapshot(Snapshot snapshot) {
    return fromSnapshot(snapshot, DEFAULT_KEY_RETENTION);
  }

  /**
   * The registry a snapshot holds. One written before jobs were forgotten holds every job
   * ever accepted: the ended ones without a key are dropped here, the others once a job is
   * submitted after their retention.
   */
  public static JobRegistry fromSnapshot(Snapshot snapshot, Duration keyRetention) {
    JobRegistry r = new JobRegistry(keyRetention);
    snapshot.entries().forEach(r::add);
    return r;
  }
}
