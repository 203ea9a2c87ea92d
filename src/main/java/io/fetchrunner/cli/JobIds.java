package io.fetchrunner.cli;

import java.util.Locale;
import java.util.regex.Pattern;

/** A job id on the command line: a UUID, checked before anything is sent. */
final class JobIds {
  private static final Pattern UUID = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private JobIds() {}

  static String check(String id) {
    String given = id.strip();
    if (UUID.matcher(given).matches()) return given.toLowerCase(Locale.ROOT);
    throw CliException.usage("'" + id + "' is not a job id (a UUID such as "
        + "505aa865-294d-41a7-acae-38d6253c2f03)");
  }
}
