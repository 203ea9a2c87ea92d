package io.fetchrunner;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Continuations on the futures Pekko returns. Pekko's Java futures come from Scala's
 * converter, whose non-async methods ({@code thenApply}, {@code whenComplete}, ...) run on
 * the JDK's default async executor; with 2 cores that executor starts a new thread for every
 * callback (thousands per second under load). {@link #plain} hands the value over on the
 * completing thread to an ordinary CompletableFuture, whose callbacks then run in place.
 */
public final class Stages {
  /** Runs a short, non-blocking callback on the thread that completed the future. */
  public static final Executor SAME_THREAD = Runnable::run;

  private Stages() {}

  public static <T> CompletableFuture<T> plain(CompletionStage<T> stage) {
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenCompleteAsync((value, error) -> {
      if (error != null) {
        out.completeExceptionally(error);
      } else {
        out.complete(value);
      }
    }, SAME_THREAD);
    return out;
  }
}
