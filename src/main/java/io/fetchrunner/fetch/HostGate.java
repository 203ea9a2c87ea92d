package io.fetchrunner.fetch;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Non-blocking per-host admission: at most {@code perHost} fetches to one host:port at a
 * time across all jobs, the rest wait in FIFO order. Nothing blocks a thread: a waiter gets
 * a future that completes when a permit is free. A waiter that gives up cancels its future.
 * Hosts with no fetch in flight are forgotten, so the map stays as small as the active set.
 */
public final class HostGate {
  private final int perHost;
  private final Map<String, Host> hosts = new HashMap<>();

  private static final class Host {
    int inUse;
    final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
  }

  public HostGate(int perHost) {
    if (perHost < 1) throw new IllegalArgumentException("perHost must be at least 1");
    this.perHost = perHost;
  }

  public int perHost() {
    return perHost;
  }

  /** A future that completes when the caller holds a permit for {@code host}. */
  public CompletableFuture<Void> acquire(String host) {
    synchronized (this) {
      Host h = hosts.computeIfAbsent(host, k -> new Host());
      if (h.inUse < perHost) {
        h.inUse++;
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> waiter = new CompletableFuture<>();
      h.waiters.add(waiter);
      return waiter;
    }
  }

  /** Returns a permit: hands it to the oldest live waiter, or frees it. */
  public void release(String host) {
    CompletableFuture<Void> next = null;
    synchronized (this) {
      Host h = hosts.get(host);
      if (h == null) throw new IllegalStateException("release without acquire for " + host);
      while (!h.waiters.isEmpty()) {
        CompletableFuture<Void> w = h.waiters.poll();
        if (!w.isDone()) {
          next = w;
          break;
        }
      }
      if (next == null) {
        h.inUse--;
        if (h.inUse == 0) hosts.remove(host);
      }
    }
    // Completed outside the lock: the waiter's continuation may start a request right here.
    if (next != null && !next.complete(null)) {
      // It was cancelled between poll and complete: pass the permit on.
      release(host);
    }
  }

  /** Permits in use for {@code host} (for tests and metrics). */
  public synchronized int inUse(String host) {
    Host h = hosts.get(host);
    return h == null ? 0 : h.inUse;
  }
}
