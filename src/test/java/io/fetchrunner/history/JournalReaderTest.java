package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read side's journal reader on a real H2 file, with journal rows committed out of order
 * by concurrent transactions: it reads past a row that is not committed yet and reads that row
 * when it commits, however late; it gives up an ordering only once no transaction that could
 * still write it is open, without waiting for it (a rolled-back write, values a crash lost, a
 * rebuild meeting them again); and it returns only job events.
 */
class JournalReaderTest {
  @TempDir Path dataDir;
  HistoryStore store;
  HistoryWriter writer;
  JournalReader reader;

  @BeforeEach
  void open() throws Exception {
    store = TestStores.h2(dataDir, "test-journal", 4);
    writer = new HistoryWriter(store);
    reader = new JournalReader(store);
  }

  @AfterEach
  void close() {
    store.close();
  }

  /** Inserts one journal row in {@code c}'s transaction; its ordering. */
  private static long insert(Connection c, String pid, long seq)
      throws Exception {
    long ordering;
    try (PreparedStatement st = c.prepareStatement("INSERT INTO \"event_journal\""
        + " (\"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
        + " \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\")"
        + " VALUES (?, ?, 'w', 0, '', ?, 1, 'm')", Statement.RETURN_GENERATED_KEYS)) {
      st.setString(1, pid);
      st.setLong(2, seq);
      st.setBytes(3, new byte[] {1, 2, 3});
      st.executeUpdate();
      try (ResultSet keys = st.getGeneratedKeys()) {
        keys.next();
        ordering = keys.getLong(1);
      }
    }
    return ordering;
  }

  /** One poll of the projection, the events' effect left out: the orderings of its events. */
  private List<Long> poll(int limit) throws Exception {
    JournalReader.Page page = reader.next(limit);
    assertTrue(writer.apply(page, List.of(), List.of()));
    return page.events().stream().map(HistoryWriter.StoredEvent::ordering).toList();
  }

  private List<Long> poll() throws Exception {
    return poll(100);
  }

  /** The orderings the read side watches, first and last of each gap. */
  private List<List<Long>> watched() throws Exception {
    try (Connection c = store.connect()) {
      return HistoryWriter.gaps(c).stream().map(g -> List.of(g.first(), g.last())).toList();
    }
  }

  @Test
  void readsPastAWriteNotCommittedYetAndReadsItsRowWhenItCommits() throws Exception {
    try (Connection slow = store.connect(); Connection fast = store.connect()) {
      slow.setAutoCommit(false);
      long first = insert(slow, "Job|a", 1);
      long second = insert(fast, "Job|b", 1); // auto-commit: visible at once
      assertTrue(second > first);

      assertEquals(List.of(second), poll(), "the row after the open write is read at once");
      assertEquals(List.of(List.of(first, first)), watched());
      var status = new HistoryQueries(store).status();
      assertEquals(1, status.gaps());
      assertEquals(0, status.behind());

      slow.commit();
      assertEquals(1, new HistoryQueries(store).status().behind(), "the late row is behind");
      assertEquals(List.of(first), poll(), "the late row is read once it commits");
      assertEquals(List.of(), watched());
      assertEquals(List.of(), poll());
      assertEquals(second, writer.offset());
    }
  }

  @Test
  void aWriteThatCommitsLongAfterItsGapWasSeenIsStillRead() throws Exception {
    try (Connection slow = store.connect(); Connection fast = store.connect()) {
      slow.setAutoCommit(false);
      long late = insert(slow, "Job|a", 1);
      long kept = insert(fast, "Job|b", 1);
      assertEquals(List.of(kept), poll());
      // The reader used to give a gap up after a timeout (fetchrunner.history.gap-timeout);
      // time plays no part now: the transaction holding the ordering is open, so it is watched.
      long until = System.nanoTime() + 2_000_000_000L;
      while (System.nanoTime() < until) {
        assertEquals(List.of(), poll());
        Thread.sleep(200);
      }
      assertEquals(List.of(List.of(late, late)), watched());
      slow.commit();
      assertEquals(List.of(late), poll(), "read, though it came after the offset moved on");
      assertEquals(List.of(), watched());
    }
  }

  @Test
  void anEventInAGapComesBeforeTheLaterEventsOfItsJob() throws Exception {
    try (Connection slow = store.connect(); Connection fast = store.connect()) {
      slow.setAutoCommit(false);
      long first = insert(slow, "Job|a", 1);
      long other = insert(fast, "Job|b", 1);
      assertEquals(List.of(other), poll());
      slow.commit();
      long next = insert(fast, "Job|a", 2); // the job's next write follows its commit
      assertEquals(List.of(first, next), poll(), "one page, the job's events in order");
    }
  }

  @Test
  void givesUpTheGapOfARolledBackWriteWithoutWaitingForIt() throws Exception {
    try (Connection failed = store.connect(); Connection ok = store.connect()) {
      failed.setAutoCommit(false);
      long lost = insert(failed, "Job|a", 1);
      long kept = insert(ok, "Job|b", 1);
      failed.rollback();

      assertEquals(List.of(kept), poll(), "read past the gap at once");
      assertEquals(List.of(List.of(lost, lost)), watched());
      // Given up at the poll after the one whose look at the store saw no open write that
      // began before the gap was seen: here the second.
      poll();
      poll();
      assertEquals(List.of(), watched(), "no transaction could still write it");
    }
  }

  @Test
  void neitherWaitsAtOrderingsACrashLostNorDoesARebuild() throws Exception {
    long before;
    long after;
    try (Connection c = store.connect(); Statement st = c.createStatement()) {
      before = insert(c, "Job|a", 1);
      // What a kill -9 leaves: H2 hands out identity values 1,000 at a time, and the
      // restarted store continues after the block the killed process had reserved.
      st.execute("ALTER TABLE \"event_journal\" ALTER COLUMN \"ordering\" RESTART WITH "
          + (before + 1000));
      after = insert(c, "Job|a", 2);
    }
    assertEquals(List.of(before, after), poll(), "the first poll reads past the lost values");
    poll();
    poll();
    assertEquals(List.of(), watched(), "values no transaction holds are given up");

    writer.reset(); // a rebuild
    assertEquals(List.of(before, after), poll(), "the rebuild's first poll reads past them");
  }

  @Test
  void anOffsetEmptiedByHandReadsTheJournalAgainWithoutItsOldGaps() throws Exception {
    try (Connection slow = store.connect(); Connection fast = store.connect();
         Statement st = fast.createStatement()) {
      slow.setAutoCommit(false);
      long first = insert(slow, "Job|a", 1);
      long second = insert(fast, "Job|b", 1);
      assertEquals(List.of(second), poll());
      slow.commit();
      st.executeUpdate("DELETE FROM read_side_offset"); // as an older store is taken over
      assertEquals(List.of(first, second), poll(), "each once, from the start");
      assertEquals(List.of(), watched());
      assertEquals(List.of(), poll());
    }
  }

  @Test
  void returnsOnlyJobEventsInOrderingOrderAndPagesByLimit() throws Exception {
    try (Connection c = store.connect()) {
      long a = insert(c, "Job|a", 1);
      insert(c, "job-supervisor", 1);
      long b = insert(c, "Job|a", 2);
      long d = insert(c, "Job|b", 1);
      assertEquals(List.of(a), poll(2), "a page is the limit's rows, job events or not");
      assertEquals(List.of(b, d), poll(2));
      assertEquals(List.of(), poll(2));
      assertEquals(d, writer.offset());
      writer.reset();
      JournalReader.Page page = reader.next(3);
      HistoryWriter.StoredEvent e = page.events().get(1);
      assertEquals("Job|a", e.persistenceId());
      assertEquals(2, e.sequenceNr());
      assertEquals(b, e.ordering());
    }
  }
}
