package io.fetchrunner.fetch;

import io.fetchrunner.job.UrlResult;
import java.time.Duration;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Fetches one URL of a job and reports its result, then stops. Stopping it earlier (the job
 * was cancelled) abandons the request and frees its connection.
 */
public final class UrlFetcher {
  private UrlFetcher() {}

  /** The worker's only message is private: it is told nothing from outside, only stopped. */
  public sealed interface Command permits Fetched {}

  private record Fetched(UrlResult result) implements Command {}

  /**
   * @param report receives (index, result) once, from the worker's own thread
   */
  public static Behavior<Command> create(
      int index, String url, Duration timeout, HttpFetcher fetcher,
      BiConsumer<Integer, UrlResult> report) {
    return Behaviors.setup(ctx -> {
      HttpFetcher.Fetch fetch = fetcher.fetch(url, timeout);
      ctx.pipeToSelf(fetch.result(), (result, error) -> new Fetched(result != null
          ? result
          : new UrlResult(io.fetchrunner.job.UrlState.FAILED, null, 0, 0, 1,
              "internal error: " + error)));
      return Behaviors.<Command>receive(Command.class)
          .onMessage(Fetched.class, msg -> {
            report.accept(index, msg.result());
            return Behaviors.stopped();
          })
          .onSignal(PostStop.class, signal -> {
            fetch.cancel();
            return Behaviors.same();
          })
          .build();
    });
  }
}
