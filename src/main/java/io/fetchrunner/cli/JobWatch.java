package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Follows one job's event stream ({@code GET /jobs/{id}/events}) to its {@code done} event.
 * When the stream breaks (a {@code restart} event, the node went away, the connection closed)
 * it reconnects with {@code Last-Event-ID}, so each result is counted once, and gives up only
 * when no server answered for {@code reconnectFor}.
 */
final class JobWatch {
  private final ServerClient server;
  private final String jobId;
  private final ProgressView view;
  private final Duration reconnectFor;
  private final RunSummary summary = new RunSummary();
  private String lastEventId;
  private JsonNode last;

  JobWatch(ServerClient server, String jobId, ProgressView view, Duration reconnectFor) {
    this.server = server;
    this.jobId = jobId;
    this.view = view;
    this.reconnectFor = reconnectFor;
  }

  RunSummary summary() {
    return summary;
  }

  /** Follows the job until it is done; its final summary. */
  JsonNode follow() {
    long lostSince = -1;
    long backoffMs = 250;
    while (true) {
      String why;
      try {
        JsonNode done = readOnce();
        if (done != null) return done;
        why = "the stream ended before the job was done";
        lostSince = -1;
        backoffMs = 250;
      } catch (Restart r) {
        why = "the job moved (its node stopped or handed it over)";
        lostSince = -1;
        backoffMs = 250;
      } catch (CliException e) {
        // Refusals (unknown job, wrong token) end the watch; a node that is stopping (503) or
        // unreachable is waited for.
        if (!e.passing()) throw e;
        why = e.getMessage();
        if (lostSince < 0) lostSince = System.nanoTime();
        if (System.nanoTime() - lostSince > reconnectFor.toNanos()) {
          throw CliException.server(e.getMessage() + "; gave up after "
              + reconnectFor.toSeconds() + " s. The job goes on on the server: follow it again"
              + " with: " + Cli.commandName() + " watch " + jobId);
        }
      } catch (IOException e) {
        why = "the connection broke: " + ServerClient.describe(e);
        if (lostSince < 0) lostSince = System.nanoTime();
      }
      view.note("reconnecting to " + server.server() + " (" + why + ")"
          + (lastEventId == null ? "" : ", resuming after event " + lastEventId));
      try {
        Thread.sleep(backoffMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CliException.server("interrupted");
      }
      backoffMs = Math.min(backoffMs * 2, 5_000);
    }
  }

  /** Thrown out of the reading when the server says {@code restart}. */
  private static final class Restart extends RuntimeException {
    Restart() {
      super(null, null, false, false);
    }
  }

  /** One connection: the done summary, or null when the stream ended without it. */
  private JsonNode readOnce() throws IOException {
    Map<String, String> headers = new HashMap<>();
    if (lastEventId != null) headers.put("Last-Event-ID", lastEventId);
    HttpResponse<InputStream> response = server.stream(
        "/jobs/" + jobId + "/events", headers);
    JsonNode[] done = new JsonNode[1];
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      ServerSentEvents.read(in, event -> {
        switch (event.type()) {
          case "result" -> {
            summary.add(parse(event.data()));
            lastEventId = event.id();
          }
          case "progress" -> {
            last = parse(event.data());
            if (event.id() != null) lastEventId = event.id();
            view.progress(last);
          }
          case "done" -> {
            done[0] = parse(event.data());
            view.progress(done[0]);
            return false;
          }
          case "restart" -> throw new Restart();
          default -> { } // events of later versions
        }
        return true;
      });
    }
    return done[0];
  }

  private static JsonNode parse(String data) {
    try {
      return JsonMapper.get().readTree(data);
    } catch (IOException e) {
      throw CliException.server("the event stream sent data that is not JSON: " + data);
    }
  }
}
