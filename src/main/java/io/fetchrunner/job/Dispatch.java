package io.fetchrunner.job;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The dispatch plan of one run of a job (runtime only, made again for every run): which URL
 * gets the next free slot, which URLs have a worker, which are planned and not started yet.
 *
 * <p>Hosts take turns. A worker waiting on a slow or rate-limited host keeps its slot, so
 * starting URLs in index order would let a job whose first 1,000 URLs go to a slow host run
 * at that host's pace, and even interleaved, the slow host's workers would pile up until they
 * held every slot. So the next URL comes round-robin from the hosts that have unplanned URLs,
 * each host's in index order, and no host holds more than its cap of this job's slots:
 * {@code min(perHostCap, ceil(concurrency / hosts still active))}, at least 1, where a host
 * is active while it has unplanned URLs or workers. A slow host holds its fair share and the
 * others' URLs flow through the remaining slots; as hosts finish, the cap grows, and the last
 * host may use every slot.
 *
 * <p>Each host's planned URLs are a prefix of its URL list: its cursor, which
 * {@link Job.HostsStarted} stores with the batch that frees the slots, before the workers
 * start (after a crash, the URLs under the cursors still without a result were in flight).
 *
 * <p>Per URL started the work is O(1) amortised, whatever the number of hosts: hosts that can
 * take a URL wait in a ring, hosts at their cap are parked until a worker of theirs ends (or
 * the cap grows: at most a few hundred times in a run, since it is ceil(concurrency / n)).
 *
 * <p>Workers are started in shares of at most {@link #SHARE} per message: a job of 10,000 URLs
 * at concurrency 10,000 would otherwise hold the dispatcher for its whole start, and the
 * answers to everything queued behind it (its own 202, other jobs, the API) would wait that
 * long.
 */
final class Dispatch {
  /** Workers started per message at most; the rest follow in the job's next messages. */
  static final int SHARE = 256;

  private static final byte RING = 1;
  private static final byte PARKED = 2;
  /** No unplanned URL left: active until its last worker ends. */
  private static final byte EXHAUSTED = 3;

  private final DispatchHosts hosts;
  private final int concurrency;
  private final int perHostCap;
  /** Per host: how many of its URLs, in its index order, are planned in this run (or done). */
  private final int[] cursor;
  /** Per host: its workers plus its URLs planned and not started yet. */
  private final int[] load;
  /** Per host: {@link #RING}, {@link #PARKED} or {@link #EXHAUSTED}. */
  private final byte[] where;
  private final IntQueue ring = new IntQueue();
  private final LinkedHashSet<Integer> parked = new LinkedHashSet<>();
  /** URLs planned (their host's cursor is past them) and not started yet, in plan order. */
  private final IntQueue queued = new IntQueue();
  private final Map<Integer, ActorRef<UrlFetcher.Command>> inFlight = new HashMap<>();
  /** The hosts whose cursor moved since {@link Job.HostsStarted} last took them. */
  private final IntQueue moved = new IntQueue();
  private final boolean[] isMoved;
  private int active;
  private int cap;
  /** A drain took the plan back: nothing more is planned in this run. */
  private boolean retreated;

  /** Nothing to run (a job before its first run in this incarnation). */
  static Dispatch none() {
    return new Dispatch(DispatchHosts.NONE, 0, 1, i -> false);
  }

  /**
   * A new run over {@code hosts}, whose URLs without a result are {@code pending}: every
   * cursor starts at the host's first pending URL.
   */
  Dispatch(DispatchHosts hosts, int concurrency, int perHostCap, IntPredicate pending) {
    this.hosts = hosts;
    this.concurrency = concurrency;
    this.perHostCap = perHostCap;
    int n = hosts.count();
    cursor = new int[n];
    load = new int[n];
    where = new byte[n];
    isMoved = new boolean[n];
    for (int h = 0; h < n; h++) {
      skipDone(h, pending);
      if (cursor[h] < hosts.size(h)) {
        where[h] = RING;
        ring.add(h);
        active++;
      } else {
        where[h] = EXHAUSTED;
      }
    }
    cap = capNow();
  }

  /** A host's cap: it only grows in a run, as hosts end (no host becomes active again). */
  private int capNow() {
    int hostsActive = Math.max(1, active);
    return Math.min(perHostCap, Math.max(1, (concurrency + hostsActive - 1) / hostsActive));
  }

  /** Moves the host's cursor past URLs that have their result (from an earlier run). */
  private void skipDone(int host, IntPredicate pending) {
    while (cursor[host] < hosts.size(host) && !pending.test(hosts.url(host, cursor[host]))) {
      cursor[host]++;
    }
  }

  /**
   * Plans the free slots (those of neither a worker nor a planned URL), host by host in
   * turn, and returns the cursors that moved (host number to cursor; empty if none): to be
   * stored before the planned workers start.
   */
  SortedMap<Integer, Integer> plan(IntPredicate pending) {
    int free = retreated ? 0 : concurrency - inFlight.size() - queued.size();
    while (free > 0 && !ring.isEmpty()) {
      int h = ring.poll();
      queued.add(hosts.url(h, cursor[h]++));
      load[h]++;
      free--;
      skipDone(h, pending);
      if (!isMoved[h]) {
        isMoved[h] = true;
        moved.add(h);
      }
      if (cursor[h] >= hosts.size(h)) {
        where[h] = EXHAUSTED;
      } else if (load[h] >= cap) {
        where[h] = PARKED;
        parked.add(h);
      } else {
        ring.add(h);
      }
    }
    return takeMoved();
  }

  private SortedMap<Integer, Integer> takeMoved() {
    SortedMap<Integer, Integer> taken = new TreeMap<>();
    while (!moved.isEmpty()) {
      int h = moved.poll();
      isMoved[h] = false;
      taken.put(h, cursor[h]);
    }
    return taken;
  }

  /**
   * Starts a worker ({@code start}) for each planned URL, at most {@link #SHARE}; true when
   * planned URLs remain for a next share.
   */
  boolean startShare(IntPredicate pending, IntFunction<ActorRef<UrlFetcher.Command>> start) {
    int started = 0;
    while (!queued.isEmpty() && started < SHARE) {
      int index = queued.poll();
      if (!pending.test(index)) { // never fetched twice (cannot happen: planned means pending)
        released(hosts.hostOf(index));
        continue;
      }
      inFlight.put(index, start.apply(index));
      started++;
    }
    return !queued.isEmpty();
  }

  /**
   * A drain: the URLs planned but not started were never in flight and must not count as
   * refetched after a restart. Per host they are the tail of its planned prefix, so its
   * cursor goes back to the first of them. Returns the cursors that moved back (empty if
   * nothing was planned beyond the workers). The run plans nothing after this.
   */
  SortedMap<Integer, Integer> retreat() {
    retreated = true;
    SortedMap<Integer, Integer> back = new TreeMap<>();
    while (!queued.isEmpty()) {
      int index = queued.poll();
      int h = hosts.hostOf(index);
      back.putIfAbsent(h, hosts.rank(index)); // its first URL not started
      load[h]--;
    }
    return back;
  }

  /** URL {@code index} has its result (or its worker is gone): its slot is free. */
  void ended(int index) {
    if (!inFlight.containsKey(index)) return;
    inFlight.remove(index);
    released(hosts.hostOf(index));
  }

  private void released(int h) {
    load[h]--;
    if (where[h] == EXHAUSTED && load[h] == 0) {
      active--;
      int before = cap;
      cap = capNow();
      if (cap > before) unparkBelowCap();
    } else if (where[h] == PARKED && load[h] < cap) {
      parked.remove(h);
      where[h] = RING;
      ring.add(h);
    }
  }

  /** The cap grew: the parked hosts now under it take turns again. */
  private void unparkBelowCap() {
    for (Iterator<Integer> it = parked.iterator(); it.hasNext(); ) {
      int h = it.next();
      if (load[h] < cap) {
        it.remove();
        where[h] = RING;
        ring.add(h);
      }
    }
  }

  /** How many workers of host {@code host} are running or planned. */
  int load(int host) {
    return load[host];
  }

  int inFlightCount() {
    return inFlight.size();
  }

  boolean idle() {
    return inFlight.isEmpty();
  }

  /** Stops every worker (a cancel abandons their requests and frees the connections). */
  void stopAll(Consumer<ActorRef<UrlFetcher.Command>> stop) {
    inFlight.values().forEach(stop);
    inFlight.clear();
    queued.clear();
    ring.clear();
    parked.clear();
  }

  /**
   * A FIFO of ints: the URLs and hosts that wait for their turn, without an Integer per entry
   * (a job of 100,000 URLs passes each through here).
   */
  private static final class IntQueue {
    private int[] items = new int[16];
    private int head;
    private int size;

    void add(int value) {
      if (size == items.length) {
        int[] grown = new int[items.length * 2];
        for (int i = 0; i < size; i++) grown[i] = items[(head + i) & (items.length - 1)];
        items = grown;
        head = 0;
      }
      items[(head + size++) & (items.length - 1)] = value;
    }

    int poll() {
      int value = items[head];
      head = (head + 1) & (items.length - 1);
      size--;
      return value;
    }

    boolean isEmpty() {
      return size == 0;
    }

    int size() {
      return size;
    }

    void clear() {
      head = 0;
      size = 0;
    }
  }
}
