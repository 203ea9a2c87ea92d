package io.fetchrunner.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.function.Predicate;

/** Reads a text/event-stream: {@code event:}, {@code id:} and {@code data:} lines per event. */
final class ServerSentEvents {
  /** One event; {@code id} is null when the event had none. */
  record Event(String type, String id, String data) {}

  private ServerSentEvents() {}

  /**
   * Hands each event to {@code handler} until the stream ends or the handler answers false.
   * Comment lines (heartbeats) are skipped.
   *
   * @return true when the handler stopped the reading, false when the stream ended
   */
  static boolean read(BufferedReader in, Predicate<Event> handler) throws IOException {
    String type = null;
    String id = null;
    StringBuilder data = null;
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) {
        if (data != null || type != null) {
          if (!handler.test(new Event(type == null ? "message" : type, id,
              data == null ? "" : data.toString()))) {
            return true;
          }
        }
        type = null;
        id = null;
        data = null;
        continue;
      }
      if (line.startsWith(":")) continue;
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) value = value.substring(1);
      switch (field) {
        case "event" -> type = value;
        case "id" -> id = value;
        case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
        default -> { } // retry and unknown fields: nothing to do
      }
    }
    return false;
  }
}
