package io.fetchrunner.cli;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import picocli.CommandLine;

/** {@code --since}/{@code --until}: an ISO-8601 instant, or a duration before now ({@code 24h}). */
final class Instants implements CommandLine.ITypeConverter<Instant> {
  @Override
  public Instant convert(String value) {
    try {
      return Instant.parse(value.strip());
    } catch (DateTimeParseException e) {
      try {
        return Instant.now().minus(Durations.parse(value)).truncatedTo(ChronoUnit.SECONDS);
      } catch (CommandLine.TypeConversionException notDuration) {
        throw new CommandLine.TypeConversionException("'" + value + "' is neither an ISO-8601"
            + " instant such as 2026-12-01T00:00:00Z nor a time ago such as 24h or 7d");
      }
    }
  }
}
