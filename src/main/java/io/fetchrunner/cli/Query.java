package io.fetchrunner.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;

/** A query string built from the options that were given. */
final class Query {
  private final StringJoiner parts = new StringJoiner("&", "?", "").setEmptyValue("");

  Query add(String name, Object value) {
    if (value != null) {
      parts.add(name + "=" + URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
    }
    return this;
  }

  @Override
  public String toString() {
    return parts.toString();
  }
}
