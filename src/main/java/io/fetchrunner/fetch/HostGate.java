package io.fetchrunner.fetch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Non-blocking admission of requests: at most {@code perHost} in flight to one host:port and
 * at most {@code global} in all, across all jobs. The rest wait, FIFO per host, with hosts
 * served in turn when a global permit frees up, so one busy host cannot starve the others.
 * Nothing blocks a thread: a waiter gets a future that completes when it holds a permit, and
 * gives up by cancelling it. Hosts with nothing in flight or waiting are forgotten.
 */
public final class HostGate {
  private final int perHost;
  private final int global;
  private final Map<String, Host> hosts = new HashMap<>();
  /** Hosts with waiters and a free per-host slot: they wait only for a global permit. */
  private final LinkedHashSet<Host> ready = new LinkedHashSet<>();
  private int inUse;

  private static final class Host {
    final String key;
    int inUse;
    final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();

    Host(String key) {
      this.key = key;
    }
  }

  public HostGate(int perHost, int global) {
    if (perHost < 1 || global < 1) throw new IllegalArgumentException("limits must be positive");
    this.perHost = perHost;
    this.global = global;
  }

  /** A future that completes when the caller holds a permit for {@code host}. */
  public CompletableFuture<Void> acquire(String host) {
    synchronized (this) {
      Host h = hosts.computeIfAbsent(host, Host::new);
      if (h.inUse < perHost && inUse < global && h.waiters.isEmpty()) {
        h.inUse++;
        inUse++;
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> waiter = new CompletableFuture<>();
      h.waiters.add(waiter);
      if (h.inUse < perHost) ready.add(h);
      return waiter;
    }
  }

  /** Returns a permit for {@code host} and hands free permits to waiters. */
  public void release(String host) {
    List<Grant> granted = new ArrayList<>();
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null || h.inUse == 0) throw new IllegalStateException("release without acquire");
      h.inUse--;
      inUse--;
      if (!h.waiters.isEmpty()) ready.add(h);
      grant(granted);
      if (h.inUse == 0 && h.waiters.isEmpty()) hosts.remove(host);
    }
    // Completed outside the lock: a waiter's continuation may start a request right here.
    for (Grant g : granted) {
      if (!g.waiter.complete(null)) release(g.host); // it gave up meanwhile: pass the permit on
    }
  }

  private record Grant(String host, CompletableFuture<Void> waiter) {}

  /** Grants permits to waiting hosts in turn while global permits are free. */
  private void grant(List<Grant> granted) {
    Iterator<Host> it = ready.iterator();
    while (inUse < global && it.hasNext()) {
      Host h = it.next();
      CompletableFuture<Void> w = nextLive(h);
      if (w != null) {
        h.inUse++;
        inUse++;
        granted.add(new Grant(h.key, w));
      }
      if (h.waiters.isEmpty() || h.inUse >= perHost) {
        it.remove();
        if (h.inUse == 0 && h.waiters.isEmpty()) hosts.remove(h.key);
      } else {
        // Round robin: move this host to the back before serving the next one.
        it.remove();
        ready.add(h);
        it = ready.iterator();
      }
    }
  }

  /** The oldest waiter that has not given up, or null. */
  private static CompletableFuture<Void> nextLive(Host h) {
    while (!h.waiters.isEmpty()) {
      CompletableFuture<Void> w = h.waiters.poll();
      if (!w.isDone()) return w;
    }
    return null;
  }

  /** Permits in use for {@code host} (for tests and metrics). */
  public synchronized int inUse(String host) {
    Host h = hosts.get(host);
    return h == null ? 0 : h.inUse;
  }

  /** Permits in use in all. */
  public synchronized int inUse() {
    return inUse;
  }
}
