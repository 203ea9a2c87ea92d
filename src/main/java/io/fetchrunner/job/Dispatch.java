package io.fetchrunner.job;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The dispatch plan of a running job (runtime only, rebuilt on every start): which URLs have
 * a worker, how far the plan goes (the last {@code FetchesStarted}) and where the next worker
 * starts. Workers are started in shares of at most {@link #SHARE} per message: a job of
 * 10,000 URLs at concurrency 10,000 would otherwise hold the dispatcher for its whole start,
 * and the answers to everything queued behind it (its own 202, other jobs, the API) would wait
 * that long.
 */
final class Dispatch {
  /** Workers started per message at most; the rest follow in the job's next messages. */
  static final int SHARE = 256;

  private final Map<Integer, ActorRef<UrlFetcher.Command>> inFlight = new HashMap<>();
  private int cursor;
  /** Workers are started for the pending URLs below this. */
  private int planned;

  /**
   * Where the cursor will be after starting up to {@code slots} fetches from {@code from}: the
   * URLs in between are pending and not yet in flight.
   */
  int plan(JobState state, int from, int slots) {
    int i = from;
    int started = 0;
    while (started < slots && i < state.total()) {
      if (state.isPending(i) && !inFlight.containsKey(i)) started++;
      i++;
    }
    return i;
  }

  /**
   * The plan's end once {@code freed} workers have ended: the free slots (URLs planned but
   * not started yet count as free) planned from the cursor, never below today's plan.
   */
  int planAfter(JobState state, int concurrency, int freed) {
    return Math.max(planned, plan(state, cursor, concurrency - inFlight.size() + freed));
  }

  int planned() {
    return planned;
  }

  /** A run starts: nothing planned yet, the cursor at the first URL. */
  void reset() {
    cursor = 0;
    planned = 0;
  }

  /**
   * Extends the plan to {@code upTo} and starts a worker ({@code start}) for each pending URL
   * from the cursor, at most {@link #SHARE}; true when planned URLs remain for a next share.
   */
  boolean startShare(JobState state, int upTo, IntFunction<ActorRef<UrlFetcher.Command>> start) {
    planned = Math.max(planned, upTo);
    int started = 0;
    while (cursor < planned && started < SHARE) {
      int index = cursor++;
      if (!state.isPending(index) || inFlight.containsKey(index)) continue;
      inFlight.put(index, start.apply(index));
      started++;
    }
    return cursor < planned;
  }

  /**
   * A drain between two shares: the URLs planned but not started were never in flight and
   * must not count as refetched after a restart. The plan shrinks to the cursor; returns the
   * new end, or -1 when nothing was planned beyond the cursor.
   */
  int retreat() {
    if (cursor >= planned) return -1;
    planned = cursor;
    return cursor;
  }

  boolean isInFlight(int index) {
    return inFlight.containsKey(index);
  }

  /** URL {@code index} has its result (or its worker is gone). */
  void ended(int index) {
    inFlight.remove(index);
  }

  boolean idle() {
    return inFlight.isEmpty();
  }

  /** Stops every worker (a cancel abandons their requests and frees the connections). */
  void stopAll(Consumer<ActorRef<UrlFetcher.Command>> stop) {
    inFlight.values().forEach(stop);
    inFlight.clear();
  }
}
