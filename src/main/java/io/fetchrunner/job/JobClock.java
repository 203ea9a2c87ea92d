package io.fetchrunner.job;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The instants jobs record (submitted, runs, results, finished), to the microsecond: the
 * finest a PostgreSQL timestamptz keeps. The read side then holds exactly the instants the
 * job shows, on either store, so a finished job's summary from GET /jobs equals its own and
 * the list's since/until windows cut where the job's submittedAt says.
 */
final class JobClock {
  private JobClock() {}

  static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
