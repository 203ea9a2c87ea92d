package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** How the client writes the service's figures for people. */
final class Format {
  private Format() {}

  /** {@code job 505a... "demo": COMPLETED}. */
  static String jobLine(JsonNode job) {
    return "job " + job.path("id").asText() + " \"" + job.path("name").asText() + "\": "
        + job.path("state").asText();
  }

  /** {@code 4 URLs: 3 succeeded, 1 failed, 0 cancelled, 0 pending}. */
  static String counts(JsonNode job) {
    return String.format(Locale.ROOT, "%,d URLs: %,d succeeded, %,d failed, %,d cancelled, %,d pending",
        job.path("total").asLong(), job.path("succeeded").asLong(), job.path("failed").asLong(),
        job.path("cancelled").asLong(), job.path("pending").asLong());
  }

  /** {@code wall 2.78 s; one by one 4.09 s; speedup 1.47x}. */
  static String timing(JsonNode job) {
    JsonNode speedup = job.path("speedup");
    return "wall " + duration(job.path("wallMs").asLong()) + "; one by one "
        + duration(job.path("sumLatencyMs").asLong()) + "; speedup "
        + (speedup.isNumber() ? String.format(Locale.ROOT, "%.2fx", speedup.asDouble()) : "-")
        + (job.path("resumes").asLong() > 0
            ? "; resumed " + job.path("resumes").asLong() + "x, " + job.path("refetched").asLong()
                + " URLs fetched again" : "");
  }

  /** {@code 1,017 ms}; {@code -} for null. */
  static String ms(Long ms) {
    return ms == null ? "-" : String.format(Locale.ROOT, "%,d ms", ms);
  }

  static String ms(JsonNode ms) {
    return ms.isNumber() ? ms(ms.asLong()) : "-";
  }

  /** {@code 850 ms}, {@code 2.78 s}, {@code 3 min 05 s}, {@code 2 h 03 min}. */
  static String duration(long ms) {
    if (ms < 1000) return ms + " ms";
    if (ms < 60_000) return String.format(Locale.ROOT, "%.2f s", ms / 1000.0);
    long s = ms / 1000;
    if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
  }

  /** The number of URLs finished: succeeded, failed or cancelled. */
  static long done(JsonNode job) {
    return job.path("succeeded").asLong() + job.path("failed").asLong()
        + job.path("cancelled").asLong();
  }

  /** 0 when every URL succeeded, 1 when some failed or were cancelled. */
  static int exitStatus(JsonNode job) {
    return job.path("failed").asLong() + job.path("cancelled").asLong() > 0
        ? ExitCodes.SOME_FAILED : ExitCodes.OK;
  }
}
