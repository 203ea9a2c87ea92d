package io.fetchrunner.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * When a schedule fires: every {@code every} from its {@code anchor} (its creation), or at the
 * times of a UNIX cron expression (minute hour day-of-month month day-of-week) in
 * {@code zone}, across daylight-saving changes as cron-utils computes them: a time skipped by
 * the change (02:30 on the spring-forward day) does not fire that day, and a time that occurs
 * twice (01:30 on the fall-back day) fires once.
 */
public record Timing(Duration every, String cron, String zone, Instant anchor) {
  /** The shortest period allowed (fetchrunner.schedules are not a load generator). */
  public static final Duration MIN_EVERY = Duration.ofSeconds(1);

  private static final CronParser PARSER =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  /** Checks the timing; the message names what is wrong. */
  public static Timing of(String every, String cron, String zone, Instant anchor) {
    if ((every == null) == (cron == null)) {
      throw new IllegalArgumentException("give either \"every\" (an ISO-8601 duration such as"
          + " PT15M) or \"cron\" (such as \"0 3 * * *\"), not both or neither");
    }
    String z = zone == null ? "UTC" : zone;
    try {
      ZoneId.of(z);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("zone: \"" + z + "\" is not a time zone (such as"
          + " Europe/Berlin or UTC)");
    }
    if (every != null) {
      Duration d;
      try {
        d = Duration.parse(every);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("every: \"" + every + "\" is not an ISO-8601"
            + " duration (such as PT15M or P1D)");
      }
      if (d.compareTo(MIN_EVERY) < 0) {
        throw new IllegalArgumentException("every: at least PT1S, not " + every);
      }
      return new Timing(d, null, z, anchor);
    }
    try {
      PARSER.parse(cron).validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cron: \"" + cron + "\" is not a cron expression of"
          + " five fields (minute hour day-of-month month day-of-week): " + e.getMessage());
    }
    return new Timing(null, cron, z, anchor);
  }

  private ExecutionTime execution() {
    Cron parsed = PARSER.parse(cron);
    return ExecutionTime.forCron(parsed);
  }

  /** The first firing strictly after {@code t}. */
  public Instant nextAfter(Instant t) {
    if (every != null) {
      if (t.isBefore(anchor)) return anchor.plus(every);
      long k = Duration.between(anchor, t).toNanos() / every.toNanos() + 1;
      return anchor.plus(every.multipliedBy(k));
    }
    Optional<ZonedDateTime> next = execution().nextExecution(t.atZone(ZoneId.of(zone)));
    return next.map(ZonedDateTime::toInstant).orElse(Instant.MAX);
  }

  /** The last firing at or before {@code t} and after the anchor; empty if none. */
  public Optional<Instant> latestAtOrBefore(Instant t) {
    if (every != null) {
      if (t.isBefore(anchor.plus(every))) return Optional.empty();
      long k = Duration.between(anchor, t).toNanos() / every.toNanos();
      return Optional.of(anchor.plus(every.multipliedBy(k)));
    }
    // cron-utils' lastExecution is strictly before its argument: ask from just after t.
    Optional<ZonedDateTime> last = execution()
        .lastExecution(t.plusNanos(1).atZone(ZoneId.of(zone)));
    return last.map(ZonedDateTime::toInstant).filter(i -> i.isAfter(anchor));
  }
}
