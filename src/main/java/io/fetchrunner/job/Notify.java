package io.fetchrunner.job;

import io.fetchrunner.CborSerializable;
import io.fetchrunner.Secrets;
import java.util.List;
import java.util.Set;

/**
 * A job's webhook: the events POSTed to {@code url} as they happen ({@value #DONE}: the job
 * ended; {@value #FAILED_URL}: a URL's final result is a failure; {@value #VERDICT_FAILED}:
 * the job completed and broke one of its thresholds).
 */
public record Notify(String url, List<String> events) implements CborSerializable {
  public static final String DONE = "done";
  public static final String FAILED_URL = "failed-url";
  public static final String VERDICT_FAILED = "verdict-failed";
  public static final Set<String> EVENTS = Set.of(DONE, FAILED_URL, VERDICT_FAILED);

  public Notify {
    events = List.copyOf(events);
  }

  public boolean wants(String event) {
    return events.contains(event);
  }

  @Override
  public String toString() {
    return "Notify[url=" + Secrets.url(url) + ", events=" + events + "]";
  }
}
