package io.fetchrunner.schedule;

import io.fetchrunner.CborSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every schedule and what happened at its latest firings (immutable; events make new ones). */
public record ScheduleState(Map<String, Entry> entries) implements CborSerializable {
  /** Firings kept per schedule for GET /schedules/{id}. */
  static final int RUNS_KEPT = 20;

  /** One firing: the job it submitted, or why none. */
  public record Run(Instant scheduledFor, Instant at, String outcome, String jobId)
      implements CborSerializable {
    public static final String FIRED = "fired";
    public static final String SKIPPED_OVERLAP = "skipped-overlap";
    public static final String MISSED = "missed";
    public static final String QUEUED = "queued";
  }

  /**
   * A schedule: {@code lastDue} is the latest firing time handled (fired, skipped or queued;
   * the creation, resume or change time before any), {@code queuedFor} a firing waiting for
   * the previous run to end, {@code lastJobId} the latest job it submitted.
   */
  public record Entry(ScheduleSpec spec, boolean paused, Instant lastDue, Instant queuedFor,
      String lastJobId, List<Run> runs) implements CborSerializable {}

  public static ScheduleState empty() {
    return new ScheduleState(Map.of());
  }

  public ScheduleState {
    entries = entries == null ? Map.of() : java.util.Collections.unmodifiableMap(
        new LinkedHashMap<>(entries));
  }

  public Entry get(String id) {
    return entries.get(id);
  }

  ScheduleState apply(Schedules.Event event) {
    Map<String, Entry> next = new LinkedHashMap<>(entries);
    if (event instanceof Schedules.ScheduleCreated e) {
      next.put(e.spec().id(), new Entry(e.spec(), false, e.spec().anchor(), null, null,
          List.of()));
    } else if (event instanceof Schedules.ScheduleChanged e) {
      Entry old = next.get(e.spec().id());
      if (old != null) {
        // Resumed or retimed: firings before now are not owed.
        boolean restart = old.paused() && !e.paused() || !e.spec().anchor().equals(
            old.spec().anchor());
        Instant lastDue = restart ? e.at() : old.lastDue();
        next.put(e.spec().id(), new Entry(e.spec(), e.paused(), lastDue,
            e.paused() ? null : old.queuedFor(), old.lastJobId(), old.runs()));
      }
    } else if (event instanceof Schedules.ScheduleDeleted e) {
      next.remove(e.id());
    } else if (event instanceof Schedules.RunFired e) {
      Entry old = next.get(e.id());
      if (old != null) {
        next.put(e.id(), new Entry(old.spec(), old.paused(), later(old.lastDue(),
            e.scheduledFor()), null, e.jobId(),
            append(old.runs(), new Run(e.scheduledFor(), e.at(), Run.FIRED, e.jobId()))));
      }
    } else if (event instanceof Schedules.RunSkipped e) {
      Entry old = next.get(e.id());
      if (old != null) {
        next.put(e.id(), new Entry(old.spec(), old.paused(), later(old.lastDue(),
            e.scheduledFor()), old.queuedFor(), old.lastJobId(),
            append(old.runs(), new Run(e.scheduledFor(), e.at(), e.reason(), null))));
      }
    } else if (event instanceof Schedules.RunQueued e) {
      Entry old = next.get(e.id());
      if (old != null) {
        next.put(e.id(), new Entry(old.spec(), old.paused(), later(old.lastDue(),
            e.scheduledFor()), e.scheduledFor(), old.lastJobId(),
            append(old.runs(), new Run(e.scheduledFor(), e.at(), Run.QUEUED, null))));
      }
    }
    return new ScheduleState(next);
  }

  private static Instant later(Instant a, Instant b) {
    return a == null || b.isAfter(a) ? b : a;
  }

  private static List<Run> append(List<Run> runs, Run run) {
    List<Run> next = new ArrayList<>(runs);
    next.add(run);
    if (next.size() > RUNS_KEPT) next = next.subList(next.size() - RUNS_KEPT, next.size());
    return List.copyOf(next);
  }
}
