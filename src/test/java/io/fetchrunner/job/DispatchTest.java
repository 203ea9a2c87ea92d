package io.fetchrunner.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The order and caps of host-aware dispatch, without actors: which URLs a job starts while
 * some of its workers never end, and what its stored cursors say was in flight.
 */
class DispatchTest {
  private static final IntPredicate ALL_PENDING = i -> true;

  private static JobSpec spec(List<String> urls, int concurrency) {
    return new JobSpec("dispatch-test", "test", urls, concurrency, 1000,
        Instant.parse("2026-12-06T10:00:00Z"), null, Map.of());
  }

  private static List<String> urls(String host, int n) {
    return IntStream.range(0, n).mapToObj(i -> "http://" + host + "/" + i).toList();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** A run of {@code spec} whose workers only say they started, in the order they did. */
  private static final class Run {
    final DispatchHosts hosts;
    final Dispatch dispatch;
    final List<Integer> started = new ArrayList<>();
    final Map<Integer, Integer> cursors = new HashMap<>();

    Run(JobSpec spec, int perHostCap) {
      hosts = DispatchHosts.of(spec);
      dispatch = new Dispatch(hosts, spec.concurrency(), perHostCap, ALL_PENDING);
    }

    /** What the job does after a batch of results: plan the free slots, then start them. */
    void step() {
      cursors.putAll(dispatch.plan(ALL_PENDING));
      while (dispatch.startShare(ALL_PENDING, i -> {
        started.add(i);
        return null;
      })) {
        // the next share, as DispatchMore would start it
      }
    }

    int inFlight(int host) {
      return dispatch.load(host);
    }
  }

  @Test
  void aHostWhoseWorkersNeverEndHoldsItsShareAndTheOtherHostsUrlsAllStart() {
    // A's 8 URLs come first, then B's 40: in index order A would take every slot.
    JobSpec spec = spec(concat(urls("a.example", 8), urls("b.example:8080", 40)), 4);
    Run run = new Run(spec, 10_000);
    int a = 0;
    int b = 1;
    run.step();
    assertEquals(List.of(0, 8, 1, 9), run.started, "the hosts take turns");
    Deque<Integer> bInFlight = new ArrayDeque<>(List.of(9, 8));
    while (!bInFlight.isEmpty()) {
      run.dispatch.ended(bInFlight.removeLast()); // B answers; A never does
      int before = run.started.size();
      run.step();
      for (int i : run.started.subList(before, run.started.size())) {
        if (run.hosts.hostOf(i) == b) bInFlight.addFirst(i);
      }
      if (!bInFlight.isEmpty()) {
        assertTrue(run.inFlight(a) <= 2, "A holds at most its share of 4 slots while B has URLs: "
            + run.inFlight(a));
      }
    }
    List<Integer> bStarted = run.started.stream().filter(i -> i >= 8).toList();
    assertEquals(IntStream.range(8, 48).boxed().toList(), bStarted,
        "all of B's URLs started, in their order, while A's first two were in flight");
    assertEquals(4, run.inFlight(a), "B done: A may use every slot");
    assertEquals(List.of(0, 1, 2, 3),
        run.started.stream().filter(i -> i < 8).toList(), "A's URLs in their order");
    assertEquals(Map.of(a, 4, b, 40), run.cursors, "the cursors stored say as much");
  }

  @Test
  void aHostNeverGetsMoreThanThePerHostCap() {
    Run run = new Run(spec(urls("one.example", 50), 10), 3);
    run.step();
    assertEquals(List.of(0, 1, 2), run.started);
    run.dispatch.ended(1);
    run.step();
    assertEquals(List.of(0, 1, 2, 3), run.started);
  }

  @Test
  void tenThousandHostsOfOneUrlEachAreAllStartedInIndexOrder() {
    int n = 10_000;
    List<String> urls = IntStream.range(0, n).mapToObj(i -> "http://h" + i + ".example/")
        .toList();
    Run run = new Run(spec(urls, 250), 10_000);
    while (run.started.size() < n) {
      int before = run.started.size();
      run.step();
      assertTrue(run.dispatch.inFlightCount() <= 250);
      assertTrue(run.started.size() > before, "stuck at " + before);
      for (int i = before; i < run.started.size(); i++) run.dispatch.ended(run.started.get(i));
    }
    assertEquals(IntStream.range(0, n).boxed().toList(), run.started);
    assertTrue(run.dispatch.idle());
  }

  @Test
  void aResumedRunSkipsWhatHasAResultAndDoneHostsLeaveTheirSharesToTheOthers() {
    // Host A is done from an earlier run: B alone is active and may use all 4 slots.
    JobSpec spec = spec(concat(urls("a.example", 4), urls("b.example", 10)), 4);
    IntPredicate pending = i -> i >= 6; // A's four and B's first two have results
    var d = new Dispatch(DispatchHosts.of(spec), 4, 10_000, pending);
    assertEquals(Map.of(1, 6), d.plan(pending), "B's cursor passes its two done URLs too");
    List<Integer> started = new ArrayList<>();
    d.startShare(pending, i -> {
      started.add(i);
      return null;
    });
    assertEquals(List.of(6, 7, 8, 9), started);
  }

  @Test
  void aDrainTakesBackWhatWasPlannedButNotStarted() {
    // 600 slots of one host and of another, interleaved: more than one share.
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      urls.add("http://a.example/" + i);
      urls.add("http://b.example/" + i);
    }
    JobSpec spec = spec(urls, 600);
    var d = new Dispatch(DispatchHosts.of(spec), 600, 10_000, ALL_PENDING);
    assertEquals(Map.of(0, 300, 1, 300), d.plan(ALL_PENDING));
    List<Integer> started = new ArrayList<>();
    assertTrue(d.startShare(ALL_PENDING, i -> {
      started.add(i);
      return null;
    }), "a second share remains");
    assertEquals(Dispatch.SHARE, started.size());
    assertEquals(Map.of(0, Dispatch.SHARE / 2, 1, Dispatch.SHARE / 2), d.retreat(),
        "each host's cursor goes back to its first URL not started");
    assertEquals(Map.of(), d.plan(ALL_PENDING), "nothing is planned after a drain");

    // Stored as the job stores them, the cursors count exactly the started URLs as in flight.
    JobState state = JobState.empty().apply(new Job.JobSubmitted(spec))
        .apply(new Job.RunStarted(Instant.EPOCH, 0))
        .apply(new Job.HostsStarted(Map.of(0, 300, 1, 300)))
        .apply(new Job.HostsStarted(Map.of(0, Dispatch.SHARE / 2, 1, Dispatch.SHARE / 2)));
    assertEquals(Dispatch.SHARE, state.inFlightAtStop());
  }

  @Test
  void inFlightAtAStopCountsEachHostsStartedUrlsWithoutAResult() {
    // a0 b0 a1 b1 a2 b2: A started up to 3 (a2), B up to 1 (b0); a1 has its result.
    List<String> urls = List.of("http://a.example/0", "http://b.example/0",
        "http://a.example/1", "http://b.example/1", "http://a.example/2", "http://b.example/2");
    JobSpec spec = spec(urls, 4);
    JobState state = JobState.empty().apply(new Job.JobSubmitted(spec))
        .apply(new Job.RunStarted(Instant.EPOCH, 0))
        .apply(new Job.HostsStarted(Map.of(0, 2, 1, 1)))
        .apply(new Job.HostsStarted(Map.of(0, 3)))
        .apply(new Job.UrlsFetched(List.of(new Job.Outcome(2, ok())), Instant.EPOCH));
    assertEquals(3, state.inFlightAtStop(), "a0, b0 and a2");

    JobState restored = JobState.fromSnapshot(state.toSnapshot());
    assertEquals(3, restored.inFlightAtStop(), "the cursors are in the snapshot");
    assertEquals(List.of(3, 1), state.toSnapshot().startedPerHost());

    JobState again = restored.apply(new Job.RunStarted(Instant.EPOCH, 3));
    assertEquals(0, again.inFlightAtStop(), "a new run has started nothing yet");
  }

  @Test
  void eventsAndSnapshotsOfEarlierVersionsCountAPrefixOfTheUrlList() {
    List<String> urls = List.of("http://a.example/0", "http://b.example/0",
        "http://a.example/1", "http://b.example/1", "http://a.example/2");
    JobSpec spec = spec(urls, 3);
    JobState state = JobState.empty().apply(new Job.JobSubmitted(spec))
        .apply(new Job.RunStarted(Instant.EPOCH, 0))
        .apply(new Job.FetchesStarted(3))
        .apply(new Job.UrlsFetched(List.of(new Job.Outcome(1, ok())), Instant.EPOCH));
    assertEquals(2, state.inFlightAtStop(), "URLs 0 and 2: below 3, without a result");

    JobSnapshot current = state.toSnapshot();
    assertNull(current.startedPerHost(), "still the prefix form");
    assertEquals(3, current.startedUpTo());
    // A snapshot as versions before per-host dispatch stored it: no per-host cursors.
    JobSnapshot older = new JobSnapshot(current.spec(), current.results(), current.status(),
        current.finishedAt(), current.closedWallMs(), current.runStartedAt(),
        current.lastResultAt(), current.runs(), 3, current.refetched(), current.fetchedOrder(),
        current.notifications(), null);
    assertEquals(2, JobState.fromSnapshot(older).inFlightAtStop());

    // A run that began with the prefix form and went on per host (never written so, but
    // readable): the prefix becomes per-host cursors first.
    state.apply(new Job.HostsStarted(Map.of(1, 2)));
    assertEquals(3, state.inFlightAtStop(), "URLs 0, 2 and 3");
  }

  private static UrlResult ok() {
    return new UrlResult(UrlState.SUCCEEDED, 200, 2, 1, 1, null, null, null, List.of(),
        List.of());
  }
}
