package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import java.time.Instant;

/**
 * One webhook delivery of a job, as GET /jobs/{id} shows it and snapshots keep it:
 * {@code event} ({@link Notify#DONE} or {@link Notify#FAILED_URL}, with the URL's
 * {@code index}, else -1), {@code state} PENDING, DELIVERED or ABANDONED, the attempts so far
 * and the last answer ({@code lastStatus}, or {@code lastError} when none came).
 */
public record Notification(int id, String event, int index, String state, int attempts,
    Integer lastStatus, String lastError, Instant queuedAt, Instant settledAt)
    implements CborSerializable {

  public static final String PENDING = "PENDING";
  public static final String DELIVERED = "DELIVERED";
  public static final String ABANDONED = "ABANDONED";

  public boolean pending() {
    return state.equals(PENDING);
  }

  Notification attempted(Integer status, String error, boolean delivered, Instant at) {
    return new Notification(id, event, index, delivered ? DELIVERED : PENDING, attempts + 1,
        status, error, queuedAt, delivered ? at : null);
  }

  Notification abandoned(Instant at) {
    return new Notification(id, event, index, ABANDONED, attempts, lastStatus, lastError,
        queuedAt, at);
  }
}
