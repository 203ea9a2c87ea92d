package io.fetchrunner.job;

import io.fetchrunner.fetch.Attempt;
import io.fetchrunner.fetch.AttemptOutcome;
import io.fetchrunner.fetch.ErrorKind;
import io.fetchrunner.fetch.FetchRequest;
import io.fetchrunner.fetch.HttpFetcher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Fetches one URL of a job, retrying retryable failures with exponential backoff and jitter
 * (or as the server's Retry-After asks), reports the final result once, then stops. Stopping
 * it earlier (the job was cancelled) abandons the attempt and frees its connection.
 */
public final class UrlFetcher extends AbstractBehavior<UrlFetcher.Command> {

  /** Retries: how many, and how long to wait between attempts. */
  public record RetryPolicy(int retries, Duration backoffMin, Duration backoffMax,
      Duration maxRetryAfter) {}

  /** The worker's messages are private: it is told nothing from outside, only stopped. */
  public sealed interface Command permits Attempted, RetryNow {}

  private record Attempted(AttemptOutcome outcome) implements Command {}

  private record RetryNow() implements Command {}

  public static Behavior<Command> create(int index, FetchRequest request, RetryPolicy retry,
      HttpFetcher fetcher, BiConsumer<Integer, UrlResult> report) {
    return create(index, request, retry, fetcher, report, JobMetrics.NONE);
  }

  /** A worker whose attempts are counted by {@code metrics}. */
  public static Behavior<Command> create(int index, FetchRequest request, RetryPolicy retry,
      HttpFetcher fetcher, BiConsumer<Integer, UrlResult> report, JobMetrics metrics) {
    // No TimerScheduler: most workers never retry, and one per worker made each spawn dearer.
    return Behaviors.setup(ctx -> new UrlFetcher(ctx, index, request, retry, fetcher, report,
        metrics));
  }

  private final int index;
  private final FetchRequest request;
  private final RetryPolicy retry;
  private final HttpFetcher fetcher;
  private final BiConsumer<Integer, UrlResult> report;
  private final JobMetrics metrics;
  private final List<UrlResult.Attempt> earlier = new ArrayList<>();
  private long latencyMs;
  private Instant startedAt;
  private Attempt current;
  private Cancellable retryTimer;
  /** An attempt waited for its host because the host was backed off. */
  private boolean delayed;

  private UrlFetcher(ActorContext<Command> ctx, int index, FetchRequest request,
      RetryPolicy retry, HttpFetcher fetcher, BiConsumer<Integer, UrlResult> report,
      JobMetrics metrics) {
    super(ctx);
    this.metrics = metrics;
    this.index = index;
    this.request = request;
    this.retry = retry;
    this.fetcher = fetcher;
    this.report = report;
    attempt();
  }

  private void attempt() {
    current = fetcher.fetch(request);
    getContext().pipeToSelf(current.result(), (outcome, error) -> new Attempted(outcome != null
        ? outcome
        : AttemptOutcome.failure(null, 0, 0, ErrorKind.INTERNAL, "internal error: " + error,
            List.of(), false)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Attempted.class, this::onAttempted)
        .onMessage(RetryNow.class, msg -> {
          retryTimer = null;
          attempt();
          return this;
        })
        .onSignal(PostStop.class, signal -> {
          if (current != null) current.cancel();
          if (retryTimer != null) retryTimer.cancel();
          return this;
        })
        .build();
  }

  private Behavior<Command> onAttempted(Attempted msg) {
    AttemptOutcome o = msg.outcome();
    if (current != null && current.delayed()) delayed = true;
    current = null;
    // The request went out when it began to count latency (after any wait for the host).
    if (startedAt == null) startedAt = Instant.now().minusMillis(o.latencyMs());
    metrics.attempted(o);
    latencyMs += o.latencyMs();
    int attempts = earlier.size() + 1;
    if (!o.succeeded() && o.retryable() && attempts <= retry.retries()) {
      Duration wait = o.retryAfter() != null ? o.retryAfter() : backoff(attempts);
      // max-retry-after bounds what a server asks for; our own backoff is always waited.
      if (o.retryAfter() == null || wait.compareTo(retry.maxRetryAfter()) <= 0) {
        earlier.add(new UrlResult.Attempt(o.httpStatus(), o.latencyMs(), o.error(),
            o.errorKind().wire()));
        retryTimer = getContext().scheduleOnce(wait, getContext().getSelf(), new RetryNow());
        return this;
      }
      return done(o, attempts, o.error() + "; not retried: Retry-After of " + wait.toSeconds()
          + " s is longer than fetchrunner.fetch.max-retry-after");
    }
    return done(o, attempts, o.error());
  }

  private Behavior<Command> done(AttemptOutcome o, int attempts, String error) {
    report.accept(index, new UrlResult(o.succeeded() ? UrlState.SUCCEEDED : UrlState.FAILED,
        o.httpStatus(), o.bytes(), latencyMs, attempts, o.succeeded() ? null : error,
        o.contentType(), o.sha256(), o.redirects(), earlier,
        o.succeeded() ? null : o.errorKind().wire(), startedAt, o.etag(), o.lastModified(),
        o.notModified() ? Boolean.TRUE : null, delayed ? Boolean.TRUE : null));
    return Behaviors.stopped();
  }

  /** Exponential backoff with "equal jitter": between half and all of min * 2^(n-1). */
  private Duration backoff(int attempt) {
    long max = retry.backoffMax().toMillis();
    long exp = retry.backoffMin().toMillis() << Math.min(attempt - 1, 20);
    long ceiling = Math.max(1, Math.min(max, exp));
    long half = ceiling / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(ceiling - half + 1));
  }
}
