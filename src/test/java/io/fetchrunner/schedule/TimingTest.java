package io.fetchrunner.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When schedules fire: periods from the creation, cron in a zone across DST changes. */
class TimingTest {
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final Instant CREATED = Instant.parse("2026-03-01T00:00:00Z");

  private static Instant berlin(String local) {
    return ZonedDateTime.of(java.time.LocalDateTime.parse(local), BERLIN).toInstant();
  }

  @Test
  void aPeriodCountsFromTheCreation() {
    Timing t = Timing.of("PT15M", null, null, CREATED);
    assertEquals(Instant.parse("2026-03-01T00:15:00Z"), t.nextAfter(CREATED));
    assertEquals(Instant.parse("2026-03-01T00:30:00Z"),
        t.nextAfter(Instant.parse("2026-03-01T00:15:00Z")), "strictly after");
    assertEquals(Optional.empty(), t.latestAtOrBefore(Instant.parse("2026-03-01T00:14:59Z")));
    assertEquals(Optional.of(Instant.parse("2026-03-01T00:15:00Z")),
        t.latestAtOrBefore(Instant.parse("2026-03-01T00:15:00Z")));
    assertEquals(Optional.of(Instant.parse("2026-03-02T00:00:00Z")),
        t.latestAtOrBefore(Instant.parse("2026-03-02T00:07:00Z")), "a day later");
  }

  @Test
  void cronFiresAtLocalTimesAcrossDaylightSavingChanges() {
    Timing daily = Timing.of(null, "0 3 * * *", "Europe/Berlin", CREATED);
    // 2026-03-29: clocks go from 02:00 to 03:00 (CET to CEST). 03:00 local still exists.
    assertEquals(berlin("2026-03-29T03:00"), daily.nextAfter(berlin("2026-03-28T03:00")));
    assertEquals(Instant.parse("2026-03-29T01:00:00Z"), berlin("2026-03-29T03:00"));
    assertEquals(Instant.parse("2026-03-28T02:00:00Z"), berlin("2026-03-28T03:00"),
        "the day before, 03:00 was an hour later in UTC");
    // 02:30 does not exist on 2026-03-29: a job at 02:30 skips that day or moves; it never
    // fires twice and never fires at a time that is not 02:30 on another day before it.
    Timing skipped = Timing.of(null, "30 2 * * *", "Europe/Berlin", CREATED);
    Instant next = skipped.nextAfter(berlin("2026-03-28T02:30"));
    assertTrue(!next.isBefore(berlin("2026-03-29T03:00")), "no firing in the missing hour: "
        + next.atZone(BERLIN));
    // 2026-10-25: clocks go from 03:00 back to 02:00; 02:30 happens twice, fires once.
    Instant first = skipped.nextAfter(berlin("2026-10-24T02:30"));
    Instant after = skipped.nextAfter(first);
    assertEquals(25, first.atZone(BERLIN).getDayOfMonth());
    assertEquals(26, after.atZone(BERLIN).getDayOfMonth(), "once on the 25th: " + after);
  }

  @Test
  void theLatestCronFiringAtOrBeforeANow() {
    Timing daily = Timing.of(null, "0 3 * * *", "UTC", CREATED);
    assertEquals(Optional.of(Instant.parse("2026-03-05T03:00:00Z")),
        daily.latestAtOrBefore(Instant.parse("2026-03-05T03:00:00Z")), "at the firing itself");
    assertEquals(Optional.of(Instant.parse("2026-03-05T03:00:00Z")),
        daily.latestAtOrBefore(Instant.parse("2026-03-06T02:59:59Z")));
    assertEquals(Optional.empty(), daily.latestAtOrBefore(Instant.parse("2026-03-01T02:00:00Z")),
        "nothing before the schedule existed");
  }

  @Test
  void badTimingsSayWhatIsWrong() {
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Timing.of("15 minutes", null, null, CREATED)).getMessage().startsWith("every:"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Timing.of("PT0.5S", null, null, CREATED)).getMessage().startsWith("every:"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Timing.of(null, "61 * * * *", null, CREATED)).getMessage().startsWith("cron:"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Timing.of(null, "0 3 * *", null, CREATED)).getMessage().startsWith("cron:"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Timing.of(null, "0 3 * * *", "Mars/Olympus", CREATED)).getMessage()
        .startsWith("zone:"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Timing.of("PT1M", "0 3 * * *", null, CREATED)).getMessage().contains("either"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Timing.of(null, null, null, CREATED)).getMessage().contains("either"));
  }
}
