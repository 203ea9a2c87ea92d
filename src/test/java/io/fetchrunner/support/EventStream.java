package io.fetchrunner.support;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A client of a text/event-stream: reads events on its own thread until the stream ends. */
public final class EventStream implements AutoCloseable {
  /** One event: its type, id (null if none) and data as JSON. */
  public record Event(String type, String id, JsonNode data) {}

  private static final Event END = new Event("(end of stream)", null, null);

  private final HttpResponse<InputStream> response;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Thread reader;

  private EventStream(HttpResponse<InputStream> response) {
    this.response = response;
    this.reader = new Thread(this::read, "event-stream");
    reader.setDaemon(true);
    reader.start();
  }

  /** GET {@code path}, with {@code Last-Event-ID} when not null. */
  public static EventStream open(int port, String path, String lastEventId) {
    try {
      var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .header("Accept", "text/event-stream");
      if (lastEventId != null) request.header("Last-Event-ID", lastEventId);
      return new EventStream(HttpClient.newHttpClient().send(request.GET().build(),
          HttpResponse.BodyHandlers.ofInputStream()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public int status() {
    return response.statusCode();
  }

  public String contentType() {
    return response.headers().firstValue("Content-Type").orElse("");
  }

  private void read() {
    try (var in = new BufferedReader(new InputStreamReader(response.body(),
        StandardCharsets.UTF_8))) {
      String type = null;
      String id = null;
      StringBuilder data = new StringBuilder();
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          if (type != null) {
            events.add(new Event(type, id, Api.MAPPER.readTree(data.toString())));
          }
          type = null;
          id = null;
          data.setLength(0);
        } else if (line.startsWith("event: ")) {
          type = line.substring(7);
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("data: ")) {
          if (data.length() > 0) data.append('\n');
          data.append(line.substring(6));
        }
      }
    } catch (IOException closed) {
      // the stream ended
    } finally {
      events.add(END);
    }
  }

  /** The next event, or null when the stream has ended; fails after {@code within}. */
  public Event next(Duration within) {
    try {
      Event e = events.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      if (e == null) throw new AssertionError("no event within " + within);
      return e == END ? null : e;
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(ex);
    }
  }

  /** Every event until the stream ends (each within {@code within} of the previous). */
  public List<Event> rest(Duration within) {
    List<Event> all = new ArrayList<>();
    for (Event e = next(within); e != null; e = next(within)) all.add(e);
    return all;
  }

  @Override
  public void close() {
    try {
      response.body().close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
