package io.fetchrunner.schedule;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.fetchrunner.CborSerializable;
import io.fetchrunner.job.JobRequest;
import java.time.Instant;
import java.util.Set;

/**
 * A schedule as stored: the job it submits at each firing ({@code job}, as POST /jobs would
 * accept it), when (every {@code every} from {@code anchor}, or at the times of {@code cron}
 * in {@code zone}), what to do when the previous run still runs ({@code overlap}) and with a
 * firing missed while the service was down ({@code catchUp}).
 */
public record ScheduleSpec(String id, String name, JobRequest job, String every, String cron,
    String zone, String overlap, String catchUp, Instant createdAt, Instant anchor)
    implements CborSerializable {
  /** The previous run still runs: this firing is skipped. */
  public static final String SKIP = "skip";
  /** The previous run still runs: this firing waits for it (one at most). */
  public static final String QUEUE_ONE = "queue-one";
  public static final Set<String> OVERLAPS = Set.of(SKIP, QUEUE_ONE);
  /** A firing missed while the service was down is not made up. */
  public static final String NONE = "none";
  /** The latest firing missed while the service was down is made up once. */
  public static final String LAST = "last";
  public static final Set<String> CATCH_UPS = Set.of(NONE, LAST);

  @JsonIgnore
  public Timing timing() {
    return Timing.of(every, cron, zone, anchor);
  }
}
