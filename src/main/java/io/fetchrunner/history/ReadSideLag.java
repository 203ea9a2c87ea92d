package io.fetchrunner.history;

/**
 * How far behind the journal the read side is, in time: the read side holds every journal
 * event written up to {@link #seconds} ago. Set by the {@link JobHistoryProjection} after each
 * page it applied: the time it started reading when the page reached the journal's end (it
 * then held all that was written before), else the write time of the newest event the page
 * held. Read by GET /metrics. Unknown (NaN) on a node that does not run the projection, which
 * runs on one node of the cluster. An event's write time is the journal's write_timestamp,
 * which pekko-persistence-jdbc 1.1.1 sets to the writing node's System.currentTimeMillis()
 * (JdbcAsyncWriteJournal.asyncWriteMessages): across nodes the figure includes their clocks'
 * difference.
 */
public final class ReadSideLag {
  /** Epoch milliseconds up to which the read side holds the journal; 0 when unknown. */
  private volatile long heldUpTo;

  /** Seconds from the time the read side holds the journal up to, to {@code nowMillis}. */
  public double seconds(long nowMillis) {
    long upTo = heldUpTo;
    return upTo == 0 ? Double.NaN : Math.max(0, nowMillis - upTo) / 1000.0;
  }

  void heldUpTo(long epochMillis) {
    heldUpTo = epochMillis;
  }

  /** The projection stopped on this node (it moved to another, or the node stops). */
  void unknown() {
    heldUpTo = 0;
  }
}
