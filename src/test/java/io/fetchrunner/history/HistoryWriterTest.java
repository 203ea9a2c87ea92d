package io.fetchrunner.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobSpec;
import io.fetchrunner.job.JobState;
import io.fetchrunner.job.JobStatus;
import io.fetchrunner.job.JobSummary;
import io.fetchrunner.job.JobView;
import io.fetchrunner.job.UrlResult;
import io.fetchrunner.job.UrlState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The projection's writes against the job entity's own state ({@link JobState}) for the same
 * events: the read side must derive exactly the figures the live view shows. Also: events
 * delivered again are not applied twice, and a 100,000-URL job goes through in batches.
 */
class HistoryWriterTest {
  @TempDir Path dataDir;
  HistoryStore store;
  HistoryWriter writer;
  HistoryQueries queries;
  long ordering;

  @BeforeEach
  void open() throws Exception {
    store = TestStores.h2(dataDir, "test-history", 2);
    writer = new HistoryWriter(store);
    queries = new HistoryQueries(store);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private HistoryWriter.Envelope env(String jobId, Job.Event e) {
    return new HistoryWriter.Envelope(++ordering, jobId, e);
  }

  private static UrlResult ok(long latency) {
    return new UrlResult(UrlState.SUCCEEDED, 200, 10, latency, 1, null, "text/plain", null,
        List.of(), List.of());
  }

  @Test
  void resumedAndCancelledJobMatchesTheEntityAndRedeliveryChangesNothing() throws Exception {
    String id = UUID.randomUUID().toString();
    Instant t0 = Instant.parse("2026-11-20T10:00:00.123456789Z");
    var spec = new JobSpec(id, "a, \"quoted\" name", List.of("http://a.example/1",
        "http://b.example:8081/2", "https://a.example/3", "http://c.example/4"), 2, 1000, t0,
        null, null);
    List<Job.Event> events = List.of(
        new Job.JobSubmitted(spec),
        new Job.RunStarted(t0.plusMillis(1), 0),
        new Job.FetchesStarted(2),
        new Job.UrlFetched(0, ok(120), t0.plusMillis(130)),
        // a second result for the same URL is ignored, as the entity ignores it
        new Job.UrlFetched(0, ok(999), t0.plusMillis(140)),
        new Job.RunStarted(t0.plusSeconds(60), 1),
        new Job.HostsStarted(Map.of(1, 1)), // as versions of today store it
        new Job.UrlFetched(1, new UrlResult(UrlState.FAILED, null, 0, 1000, 2,
            "timeout after 1000 ms", null, null, List.of("http://b.example:8081/2b"),
            List.of(new UrlResult.Attempt(503, 20, "HTTP 503"))), t0.plusSeconds(61)),
        new Job.JobCancelled(t0.plusSeconds(62)));
    List<HistoryWriter.Envelope> batch = new ArrayList<>();
    for (Job.Event e : events) batch.add(env(id, e));
    writer.apply(batch.subList(0, 3));
    writer.apply(batch.subList(1, 5)); // overlaps: 2 and 3 again
    writer.apply(batch.subList(5, 7));
    writer.apply(batch); // everything again

    JobState state = JobState.empty();
    for (Job.Event e : events) state = state.apply(e);
    assertMatches(state, id);
    assertEquals(ordering, writer.offset());
  }

  @Test
  void pendingAndCancelledUrlsAcrossChunksPageLikeTheJob() throws Exception {
    int n = 2_500; // three chunks of the stored URL list
    String id = UUID.randomUUID().toString();
    Instant t0 = Instant.parse("2026-11-29T09:00:00Z");
    var spec = new JobSpec(id, "chunks", IntStream.range(0, n)
        .mapToObj(i -> "http://h" + (i % 3) + ".example:" + (8000 + i % 2) + "/u/" + i)
        .toList(), 300, 1000, t0, null, null);
    List<Job.Event> events = new ArrayList<>(List.of(new Job.JobSubmitted(spec),
        new Job.RunStarted(t0, 0)));
    for (int i = 0; i < n; i += 3) events.add(new Job.UrlFetched(i, ok(i % 50), t0.plusMillis(i)));
    for (int i = 990; i < 1010; i++) {
      if (i % 3 != 0) events.add(new Job.UrlFetched(i, ok(7), t0.plusMillis(i)));
    }
    JobState state = JobState.empty();
    List<HistoryWriter.Envelope> batch = new ArrayList<>();
    for (Job.Event e : events) {
      batch.add(env(id, e));
      state = state.apply(e);
      if (batch.size() == 400) {
        writer.apply(batch);
        batch.clear();
      }
    }
    writer.apply(batch);
    assertMatches(state, id, 700); // running: the URLs without a result are PENDING

    List<Job.Event> end = List.of(new Job.JobCancelled(t0.plusSeconds(5)),
        // a result after the cancellation counts for nothing, as in the job
        new Job.UrlFetched(1, ok(3), t0.plusSeconds(6)));
    batch.clear();
    for (Job.Event e : end) {
      batch.add(env(id, e));
      state = state.apply(e);
    }
    writer.apply(batch);
    assertEquals(JobStatus.CANCELLED, state.summary().state());
    assertMatches(state, id, 700);
    assertMatches(state, id, 1000);
  }

  @Test
  void aHundredThousandUrlJobInBatches() throws Exception {
    int n = 100_000;
    String id = UUID.randomUUID().toString();
    Instant t0 = Instant.parse("2026-11-21T00:00:00Z");
    var spec = new JobSpec(id, "big", IntStream.range(0, n)
        .mapToObj(i -> "http://h" + (i % 7) + ".example/" + i).toList(), 500, 1000, t0, null,
        null);
    JobState state = JobState.empty();
    long start = System.nanoTime();
    List<HistoryWriter.Envelope> first = List.of(env(id, new Job.JobSubmitted(spec)),
        env(id, new Job.RunStarted(t0, 0)));
    writer.apply(first);
    long submitted = System.nanoTime();
    for (var e : first) state = state.apply(e.event());
    List<HistoryWriter.Envelope> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      var e = new Job.UrlFetched(i, ok(i % 1000), t0.plusMillis(i / 10));
      batch.add(env(id, e));
      state = state.apply(e);
      if (batch.size() == 2000) {
        writer.apply(batch);
        batch.clear();
      }
    }
    var done = new Job.JobCompleted(t0.plusMillis(n / 10));
    batch.add(env(id, done));
    state = state.apply(done);
    writer.apply(batch);
    long end = System.nanoTime();
    System.out.printf("read side: JobSubmitted of %,d URLs in %d ms; %,d UrlFetched in %d ms"
            + " (%,d events/s)%n", n, (submitted - start) / 1_000_000, n,
        (end - submitted) / 1_000_000, n * 1_000_000_000L / (end - submitted));
    assertMatches(state, id);
  }

  @Test
  void aBatchThatFailsHalfwayLeavesNothingBehind() throws Exception {
    String good = UUID.randomUUID().toString();
    String bad = UUID.randomUUID().toString();
    Instant t0 = Instant.parse("2026-11-23T08:00:00Z");
    var goodSpec = new JobSpec(good, "good", List.of("http://g.example/0",
        "http://g.example/1"), 1, 1000, t0, null, null);
    var submitted = env(good, new Job.JobSubmitted(goodSpec));
    var run = env(good, new Job.RunStarted(t0, 0));
    var fetched = env(good, new Job.UrlFetched(0, ok(5), t0.plusMillis(5)));
    // a name of null breaks a NOT NULL column: the store refuses the third statement
    var broken = env(bad, new Job.JobSubmitted(new JobSpec(bad, null, List.of("http://b/"), 1,
        1000, t0, null, null)));
    org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
        () -> writer.apply(List.of(submitted, run, fetched, broken)));
    assertEquals(0, writer.offset(), "the offset did not move");
    var all = new HistoryQueries.JobFilter(null, null, null, null);
    assertEquals(List.of(), queries.list(all, null, 10).jobs(), "no row of the batch stayed");
    assertEquals(List.of(), queries.results(good, -1, 10));

    writer.apply(List.of(submitted, run, fetched));
    JobState state = JobState.empty();
    for (var e : List.of(submitted, run, fetched)) state = state.apply(e.event());
    assertMatches(state, good);
    assertEquals(fetched.ordering(), writer.offset());
  }

  @Test
  void jobsSubmittedAtTheSameInstantPageOnceEachByKeyset() throws Exception {
    Instant same = Instant.parse("2026-11-22T08:00:00Z");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String id = UUID.randomUUID().toString();
      ids.add(id);
      writer.apply(List.of(env(id, new Job.JobSubmitted(new JobSpec(id, "tie", List.of(
          "http://t.example/" + i), 1, 1000, same, null, null)))));
    }
    ids.sort(Comparator.reverseOrder()); // ties: by id, descending
    var all = new HistoryQueries.JobFilter(null, "tie", null, null);
    List<String> seen = new ArrayList<>();
    HistoryQueries.Cursor cursor = null;
    do {
      var page = queries.list(all, cursor, 2);
      page.jobs().forEach(j -> seen.add(j.id()));
      cursor = page.next();
      if (cursor != null) cursor = HistoryQueries.Cursor.decode(cursor.encode());
    } while (cursor != null);
    assertEquals(ids, seen);
  }

  private void assertMatches(JobState state, String id) throws Exception {
    assertMatches(state, id, 5000);
  }

  private void assertMatches(JobState state, String id, int pageSize) throws Exception {
    JobSummary want = state.summary();
    var page = queries.list(new HistoryQueries.JobFilter(null, null, null, null), null, 10);
    JobSummary got = page.jobs().stream().filter(j -> j.id().equals(id)).findFirst()
        .orElseThrow();
    assertEquals(want, got);
    List<HistoryQueries.ResultRow> rows = new ArrayList<>();
    int after = -1;
    while (true) {
      var part = queries.results(id, after, pageSize);
      if (part.isEmpty()) break;
      rows.addAll(part);
      after = part.get(part.size() - 1).index();
    }
    JobView view = state.view();
    assertEquals(view.results().size(), rows.size());
    for (int i = 0; i < rows.size(); i++) {
      JobView.Entry e = view.results().get(i);
      assertEquals(new HistoryQueries.ResultRow(i, e.url(), e.state().name(), e.httpStatus(),
          e.bytes(), e.latencyMs(), e.attempts(), e.error(), e.errorKind(), e.contentType(),
          e.sha256(),
          e.redirects(), e.earlierAttempts(), e.etag(), e.lastModified(), e.notModified()),
          rows.get(i));
    }
  }
}
