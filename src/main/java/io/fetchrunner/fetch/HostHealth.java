package io.fetchrunner.fetch;

import io.fetchrunner.HostSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * What each host's answers say about how hard it may be pushed, all jobs together: the host
 * back-off (AIMD) and the host-unavailable fail-fast. Only hosts in trouble have a record;
 * a host that recovered in full is forgotten.
 *
 * <p>Back-off: a back-off status (429, 503) or a streak of connection failures and timeouts
 * halves the requests the host may have in flight (from what it had in flight when trouble
 * started) and its rate factor (which stretches the pacing interval of a host with a rate or
 * minimum delay), at most once per {@link #DECREASE_EVERY}, and blocks the host for its
 * Retry-After (capped) or the default block. After {@code recover-after} without trouble
 * (counted from the end of its block) it
 * gets one step back ({@code 1/recover-steps} of what it had), and the next step after as
 * long again: multiplicative decrease, additive increase.
 *
 * <p>Unavailable: after {@code host-unavailable.after} connection failures in a row, requests
 * that do not opt out fail at once until {@code retry-after} has passed; then one request
 * goes through as a probe, and its outcome decides.
 */
public final class HostHealth {
  /** Trouble within this long after a decrease counts once (the same burst's answers). */
  static final Duration DECREASE_EVERY = Duration.ofSeconds(1);
  /** The lowest rate factor: a host is never paced slower than 1/64 of its rate. */
  static final double MIN_RATE_FACTOR = 1.0 / 64;

  /** Failures of the connection itself: count toward host-unavailable. */
  private static final Set<ErrorKind> HARD = EnumSet.of(ErrorKind.REFUSED, ErrorKind.CONNECT,
      ErrorKind.TIMEOUT_CONNECT, ErrorKind.DNS, ErrorKind.TLS);
  /** Failures that count toward a back-off streak: the hard ones and timeouts, resets. */
  private static final Set<ErrorKind> STREAK = EnumSet.of(ErrorKind.REFUSED, ErrorKind.CONNECT,
      ErrorKind.TIMEOUT_CONNECT, ErrorKind.DNS, ErrorKind.TLS, ErrorKind.TIMEOUT_HEADERS,
      ErrorKind.TIMEOUT_BODY, ErrorKind.RESET);

  /** A host slowed, blocked or unavailable now (GET /hosts). */
  public record View(String host, String state, String reason, Instant since, Instant until,
      Integer concurrency, int concurrencyBefore, double rateFactor, long delayedRequests,
      int failuresInARow) {}

  private static final class State {
    int allowed = Integer.MAX_VALUE;
    int fullAt;
    double rateFactor = 1;
    long blockedUntil;
    /** When the host's quiet period starts: its last trouble, or the end of its block. */
    long lastTrouble;
    long lastDecrease = Long.MIN_VALUE / 2;
    long lastStep;
    String reason;
    long since;
    int streak;
    int hard;
    long unavailableUntil;
    boolean unavailable;
    boolean probing;
    /** When the probe went (a probe that never tells, cancelled say, is replaced after a while). */
    long probeSince;
    long delayed;

    boolean slowed() {
      return allowed != Integer.MAX_VALUE || rateFactor < 1;
    }
  }

  private final HostSettings settings;
  /** The service paces hosts (a rate or a minimum delay): back-off also stretches that. */
  private final boolean paced;
  private final LongSupplier nanos;
  private final Map<String, State> hosts = new ConcurrentHashMap<>();
  private volatile Consumer<String> raised = key -> {};
  private final Counters counters = new Counters();

  /** Since the start: slow-downs, requests delayed by back-off, fail-fast failures. */
  public static final class Counters {
    volatile long slowdowns;
    volatile long delayed;
    volatile long failedFast;

    public long slowdowns() {
      return slowdowns;
    }

    public long delayed() {
      return delayed;
    }

    public long failedFast() {
      return failedFast;
    }
  }

  public HostHealth(HostSettings settings, LongSupplier nanos) {
    this.settings = settings;
    this.paced = !settings.interval().isZero();
    this.nanos = nanos;
  }

  /** Called with a host whose allowance went up or whose block ended (the gate re-grants). */
  public void onRaised(Consumer<String> listener) {
    this.raised = listener;
  }

  public Counters counters() {
    return counters;
  }

  /** Requests the host may have in flight by back-off (MAX_VALUE: not slowed). */
  public int allowed(String key) {
    State s = hosts.get(key);
    return s == null ? Integer.MAX_VALUE : s.allowed;
  }

  /** What stretches the host's pacing interval: 1 unless slowed. */
  public double rateFactor(String key) {
    State s = hosts.get(key);
    return s == null ? 1 : s.rateFactor;
  }

  /** System.nanoTime() until which the host gets no requests (0: not blocked). */
  public long blockedUntil(String key) {
    State s = hosts.get(key);
    return s == null ? 0 : s.blockedUntil;
  }

  /** Whether back-off holds the host back now (slowed or blocked). */
  public boolean backingOff(String key) {
    State s = hosts.get(key);
    if (s == null) return false;
    synchronized (s) {
      return s.slowed() || s.blockedUntil - nanos.getAsLong() > 0;
    }
  }

  /** A request to {@code key} waited while the host was backed off. */
  public void delayed(String key) {
    State s = hosts.get(key);
    if (s != null) {
      synchronized (s) {
        s.delayed++;
      }
    }
    synchronized (counters) {
      counters.delayed++;
    }
  }

  /**
   * Whether a request to {@code key} must fail at once (host-unavailable). When the host's
   * time out is over, the first caller is let through as the probe (false).
   */
  public boolean unavailable(String key) {
    State s = hosts.get(key);
    if (s == null) return false;
    synchronized (s) {
      if (!s.unavailable) return false;
      long now = nanos.getAsLong();
      boolean probeOut = s.probing
          && now - s.probeSince < settings.unavailableFor().toNanos();
      if (s.unavailableUntil - now > 0 || probeOut) {
        synchronized (counters) {
          counters.failedFast++;
        }
        return true;
      }
      s.probing = true;
      s.probeSince = now;
      return false;
    }
  }

  /**
   * A response came from the host: a back-off status slows it down; any other ends a
   * failure streak (and an unavailability).
   */
  public void answered(String key, int status, Duration retryAfter, int inFlight) {
    answered(key, status, retryAfter, () -> inFlight);
  }

  /** As above, with the requests in flight to the host read only if it is in trouble. */
  public void answered(String key, int status, Duration retryAfter, IntSupplier inFlight) {
    if (settings.backoffStatuses().contains(status)) {
      Duration block = retryAfter == null ? settings.defaultBlock()
          : retryAfter.compareTo(settings.maxBlock()) > 0 ? settings.maxBlock() : retryAfter;
      trouble(key, "HTTP " + status + (retryAfter == null ? ""
          : " with Retry-After " + retryAfter.toSeconds() + " s"), block, inFlight);
      return;
    }
    State s = hosts.get(key);
    if (s == null) return;
    synchronized (s) {
      s.streak = 0;
      s.hard = 0;
      s.unavailable = false;
      s.probing = false;
    }
  }

  /** An attempt to the host failed without a response ({@code kind}). */
  public void failed(String key, ErrorKind kind, int inFlight) {
    failed(key, kind, () -> inFlight);
  }

  /** As above, with the requests in flight to the host read only if it is in trouble. */
  public void failed(String key, ErrorKind kind, IntSupplier inFlight) {
    if (!STREAK.contains(kind)) return;
    State s = hosts.computeIfAbsent(key, k -> new State());
    int streak;
    synchronized (s) {
      streak = ++s.streak;
      s.lastTrouble = nanos.getAsLong();
      if (HARD.contains(kind)) {
        s.hard++;
        s.probing = false;
        if (settings.unavailableAfter() > 0 && s.hard >= settings.unavailableAfter()) {
          if (!s.unavailable) {
            s.reason = s.hard + " connection failures in a row (last: " + kind + ")";
            if (s.since == 0) s.since = s.lastTrouble;
          }
          s.unavailable = true;
          s.unavailableUntil = nanos.getAsLong() + settings.unavailableFor().toNanos();
        }
      } else {
        s.hard = 0;
      }
    }
    if (streak % settings.failureStreak() == 0) {
      trouble(key, streak + " connection failures or timeouts in a row (last: " + kind + ")",
          settings.defaultBlock(), inFlight);
    }
  }

  private void trouble(String key, String reason, Duration block, IntSupplier inFlightNow) {
    int inFlight = inFlightNow.getAsInt();
    State s = hosts.computeIfAbsent(key, k -> new State());
    long now = nanos.getAsLong();
    boolean counted = false;
    synchronized (s) {
      if (s.since == 0 || !s.slowed() && s.blockedUntil - now <= 0) s.since = now;
      s.reason = reason;
      s.lastTrouble = now;
      s.blockedUntil = Math.max(s.blockedUntil, now + block.toNanos());
      // A block is not quiet: the quiet period starts when it ends.
      s.lastTrouble = s.blockedUntil;
      s.lastStep = s.blockedUntil;
      if (now - s.lastDecrease >= DECREASE_EVERY.toNanos()) {
        s.lastDecrease = now;
        if (s.allowed == Integer.MAX_VALUE) {
          s.fullAt = Math.max(2, inFlight);
          s.allowed = s.fullAt;
        }
        s.allowed = Math.max(1, Math.min(s.allowed, Math.max(1, inFlight)) / 2);
        // Only a host paced by the service has a rate to lower.
        if (paced) s.rateFactor = Math.max(MIN_RATE_FACTOR, s.rateFactor / 2);
        counted = true;
      }
    }
    if (counted) {
      synchronized (counters) {
        counters.slowdowns++;
      }
    }
  }

  /**
   * Periodic: hosts quiet for recover-after get a step of their limits back; hosts whose
   * block ended or that recovered are told to the gate; recovered hosts are forgotten.
   */
  public void tick() {
    long now = nanos.getAsLong();
    long quiet = settings.recoverAfter().toNanos();
    List<String> raisedNow = new ArrayList<>();
    for (var e : hosts.entrySet()) {
      State s = e.getValue();
      boolean raise = false;
      boolean forget;
      synchronized (s) {
        if (s.blockedUntil != 0 && s.blockedUntil - now <= 0) {
          s.blockedUntil = 0;
          raise = true;
        }
        if (s.slowed() && now - s.lastTrouble >= quiet && now - s.lastStep >= quiet) {
          s.lastStep = now;
          int step = Math.max(1, (int) Math.ceil((double) s.fullAt / settings.recoverSteps()));
          if (s.allowed != Integer.MAX_VALUE) {
            s.allowed = s.allowed + step >= s.fullAt ? Integer.MAX_VALUE : s.allowed + step;
          }
          s.rateFactor = Math.min(1, s.rateFactor + 1.0 / settings.recoverSteps());
          raise = true;
        }
        forget = !s.slowed() && s.blockedUntil == 0 && !s.unavailable
            && now - s.lastTrouble >= quiet;
      }
      if (forget) hosts.remove(e.getKey(), s);
      if (raise) raisedNow.add(e.getKey());
    }
    raisedNow.forEach(raised);
  }

  /** The hosts slowed, blocked or unavailable now, the longest in trouble first. */
  public List<View> view() {
    long now = nanos.getAsLong();
    Instant wall = Instant.now();
    List<View> out = new ArrayList<>();
    for (var e : hosts.entrySet()) {
      State s = e.getValue();
      synchronized (s) {
        boolean blocked = s.blockedUntil != 0 && s.blockedUntil - now > 0;
        boolean down = s.unavailable;
        if (!blocked && !down && !s.slowed()) continue;
        String state = down ? "unavailable" : blocked ? "blocked" : "slowed";
        long until = down ? s.unavailableUntil : blocked ? s.blockedUntil : 0;
        out.add(new View(e.getKey(), state, s.reason,
            wall.minusNanos(Math.max(0, now - s.since)),
            until == 0 ? null : wall.plusNanos(Math.max(0, until - now)),
            s.allowed == Integer.MAX_VALUE ? null : s.allowed, s.fullAt,
            Math.round(s.rateFactor * 1000) / 1000.0, s.delayed, s.streak));
      }
    }
    out.sort(Comparator.comparing(View::since).thenComparing(View::host));
    return out;
  }
}
