package io.fetchrunner.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fetchrunner.CborSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The supervisor's state: every job ever accepted, in submission order, with its final
 * summary once it has ended (to wake the unfinished ones after a restart, and to answer a
 * repeated Idempotency-Key). The history users query is the read side, not this. Mutable inside for O(1) updates (tens of thousands of jobs);
 * it never leaves the supervisor except as an immutable {@link Snapshot}.
 */
public final class JobRegistry implements CborSerializable {

  /** One accepted job. {@code finalSummary} is null while it runs. */
  public record Entry(String id, String name, Instant submittedAt, int total,
      JobSummary finalSummary, boolean abandoned, String idempotencyKey, String fingerprint)
      implements CborSerializable {

    Entry with(JobSummary summary, boolean abandoned) {
      return new Entry(id, name, submittedAt, total, summary, abandoned, idempotencyKey,
          fingerprint);
    }
  }

  public record Snapshot(List<Entry> entries) implements CborSerializable {}

  private final List<Entry> entries = new ArrayList<>();
  private final Map<String, Integer> positions = new HashMap<>();
  private final Map<String, Integer> byIdempotencyKey = new HashMap<>();

  public JobRegistry apply(JobSupervisor.Event event) {
    if (event instanceof JobSupervisor.JobRegistered e) {
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
    positions.put(e.id(), entries.size());
    if (e.idempotencyKey() != null) byIdempotencyKey.put(e.idempotencyKey(), entries.size());
    entries.add(e);
  }

  /** The job accepted under this Idempotency-Key, if any (abandoned ones do not count). */
  public Entry byIdempotencyKey(String key) {
    Integer pos = byIdempotencyKey.get(key);
    if (pos == null || entries.get(pos).abandoned()) return null;
    return entries.get(pos);
  }

  private void update(String id, java.util.function.UnaryOperator<Entry> change) {
    Integer pos = positions.get(id);
    if (pos != null) entries.set(pos, change.apply(entries.get(pos)));
  }

  public Entry get(String id) {
    Integer pos = positions.get(id);
    return pos == null ? null : entries.get(pos);
  }

  /** Jobs that were accepted and have not been recorded as ended or abandoned. */
  public List<Entry> unfinished() {
    return entries.stream().filter(e -> e.finalSummary() == null && !e.abandoned()).toList();
  }

  @JsonValue
  public Snapshot toSnapshot() {
    return new Snapshot(List.copyOf(entries));
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static JobRegistry fromSnapshot(Snapshot snapshot) {
    JobRegistry r = new JobRegistry();
    snapshot.entries().forEach(r::add);
    return r;
  }
}
