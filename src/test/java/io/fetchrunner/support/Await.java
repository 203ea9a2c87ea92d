package io.fetchrunner.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for something a real service does in its own time (no actor probe at hand): asks
 * every 20 ms, bounded by {@code within}, and fails saying what it waited for.
 */
public final class Await {
  private Await() {}

  /** The first non-null answer of {@code ask}. */
  public static <T> T value(Duration within, String what, Supplier<T> ask) {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      T answer = ask.get();
      if (answer != null) return answer;
      if (System.nanoTime() > deadline) fail("not within " + within + ": " + what);
      Api.sleep(20);
    }
  }

  /** Until {@code done} holds. */
  public static void until(Duration within, Supplier<String> what, BooleanSupplier done) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) fail("not within " + within + ": " + what.get());
      Api.sleep(20);
    }
  }
}
