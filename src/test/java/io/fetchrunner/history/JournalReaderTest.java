package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read side's journal reader on a real H2 file, with journal rows committed out of order
 * by concurrent transactions: it never reads past a row that may still commit, passes a gap
 * left by a rolled-back write once the gap timeout is over, and returns only job events.
 */
class JournalReaderTest {
  @TempDir Path dataDir;
  HistoryStore store;

  @BeforeEach
  void open() throws Exception {
    store = TestStores.h2(dataDir, "test-journal", 4);
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

  private static List<Long> orderings(List<HistoryWriter.StoredEvent> events) {
    return events.stream().map(HistoryWriter.StoredEvent::ordering).toList();
  }

  @Test
  void doesNotReadPastARowThatIsNotCommittedYet() throws Exception {
    JournalReader reader = new JournalReader(store, Duration.ofMinutes(10));
    try (Connection slow = store.connect(); Connection fast = store.connect()) {
      slow.setAutoCommit(false);
      long first = insert(slow, "Job|a", 1);
      long second = insert(fast, "Job|b", 1); // auto-commit: visible at once
      assertTrue(second > first);

      assertEquals(List.of(), orderings(reader.eventsAfter(0, 100)),
          "the row after the open gap is not read yet");
      slow.commit();
      assertEquals(List.of(first, second), orderings(reader.eventsAfter(0, 100)));
      assertEquals(List.of(second), orderings(reader.eventsAfter(first, 100)));
    }
  }

  @Test
  void passesTheGapOfARolledBackWriteAfterTheGapTimeout() throws Exception {
    JournalReader reader = new JournalReader(store, Duration.ofMillis(200));
    try (Connection failed = store.connect(); Connection ok = store.connect()) {
      failed.setAutoCommit(false);
      insert(failed, "Job|a", 1);
      long kept = insert(ok, "Job|b", 1);
      failed.rollback();

      assertEquals(List.of(), orderings(reader.eventsAfter(0, 100)),
          "a gap is first waited for");
      List<Long> read = List.of();
      for (int i = 0; i < 100 && read.isEmpty(); i++) {
        Thread.sleep(50);
        read = orderings(reader.eventsAfter(0, 100));
      }
      assertEquals(List.of(kept), read, "the gap was passed once it stayed open long enough");
    }
  }

  @Test
  void manyGapsAreTimedTogetherNotOneAfterAnother() throws Exception {
    // After a crash the journal has many gaps (H2 hands out identity values in blocks):
    // waiting the gap timeout once per gap, in turn, would stall the read side for minutes.
    JournalReader reader = new JournalReader(store, Duration.ofMillis(300));
    List<Long> kept = new java.util.ArrayList<>();
    try (Connection failed = store.connect(); Connection ok = store.connect()) {
      failed.setAutoCommit(false);
      for (int gap = 0; gap < 5; gap++) {
        insert(failed, "Job|lost", gap + 1);
        kept.add(insert(ok, "Job|kept", gap + 1));
      }
      failed.rollback();
    }
    assertEquals(List.of(), orderings(reader.eventsAfter(0, 100)), "every gap seen once");
    Thread.sleep(400); // longer than the gap timeout, shorter than two of them
    assertEquals(kept, orderings(reader.eventsAfter(0, 100)),
        "all five gaps passed together once the first sighting is older than the timeout");
  }

  @Test
  void returnsOnlyJobEventsInOrderingOrderAndPagesByLimit() throws Exception {
    JournalReader reader = new JournalReader(store, Duration.ofMinutes(10));
    try (Connection c = store.connect()) {
      long a = insert(c, "Job|a", 1);
      insert(c, "job-supervisor", 1);
      long b = insert(c, "Job|a", 2);
      long d = insert(c, "Job|b", 1);
      assertEquals(List.of(a, b), orderings(reader.eventsAfter(0, 2)));
      assertEquals(List.of(d), orderings(reader.eventsAfter(b, 2)));
      assertEquals(List.of(), orderings(reader.eventsAfter(d, 2)));
      HistoryWriter.StoredEvent e = reader.eventsAfter(a, 1).get(0);
      assertEquals("Job|a", e.persistenceId());
      assertEquals(2, e.sequenceNr());
    }
  }
}
