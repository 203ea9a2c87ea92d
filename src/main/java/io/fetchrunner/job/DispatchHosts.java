package io.fetchrunner.job;

import io.fetchrunner.fetch.HostGroups;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's URLs grouped by host, as {@link Dispatch} takes turns over them: each host has a
 * number (0, 1, 2, ... by first appearance in the job's URL list) and its URLs in index order.
 * Derived from the spec alone, never stored: the host numbers in {@link Job.HostsStarted} and
 * in snapshots mean the same on every recovery only because this grouping is deterministic.
 *
 * <p>Kept as three int arrays (URL to host, and each host's URLs one after the other) rather
 * than a list per host: a job of 100,000 URLs on 100,000 hosts would otherwise hold 100,000
 * small arrays for as long as it runs.
 */
final class DispatchHosts {
  static final DispatchHosts NONE = new DispatchHosts(new int[0], new int[] {0}, new int[0]);

  /** URL index to host number. */
  private final int[] hostOf;
  /** Host h's URLs: {@code byHost[start[h]]} up to (not including) {@code byHost[start[h+1]]}. */
  private final int[] start;
  private final int[] byHost;

  private DispatchHosts(int[] hostOf, int[] start, int[] byHost) {
    this.hostOf = hostOf;
    this.start = start;
    this.byHost = byHost;
  }

  /**
   * The hosts of {@code spec}'s URLs. The one place that says what a "host" is for dispatch:
   * host[:port], or the registrable domain when the job's perHost.groupBy says "domain". From
   * the stored spec alone (never the service's configuration): a restart numbers the hosts
   * as the run before it did.
   */
  static DispatchHosts of(JobSpec spec) {
    List<String> urls = spec.urls();
    int[] hostOf = new int[urls.size()];
    Map<String, Integer> numbers = new HashMap<>();
    PerHost own = spec.policy() == null ? null : spec.policy().perHost();
    String groupBy = own == null || own.groupBy() == null ? HostGroups.HOST : own.groupBy();
    for (int i = 0; i < hostOf.length; i++) {
      String host = UrlHost.of(urls.get(i));
      if (!groupBy.equals(HostGroups.HOST)) host = HostGroups.of(host, groupBy);
      Integer known = numbers.putIfAbsent(host, numbers.size());
      hostOf[i] = known != null ? known : numbers.size() - 1;
    }
    // A counting sort by host: each host's URLs land in index order.
    int[] start = new int[numbers.size() + 1];
    for (int h : hostOf) start[h + 1]++;
    for (int h = 0; h < numbers.size(); h++) start[h + 1] += start[h];
    int[] filled = Arrays.copyOf(start, numbers.size());
    int[] byHost = new int[hostOf.length];
    for (int i = 0; i < hostOf.length; i++) byHost[filled[hostOf[i]]++] = i;
    return new DispatchHosts(hostOf, start, byHost);
  }

  /** How many hosts. */
  int count() {
    return start.length - 1;
  }

  /** How many URLs host {@code host} has. */
  int size(int host) {
    return start[host + 1] - start[host];
  }

  /** The {@code rank}-th URL of host {@code host} (0 is its first in index order). */
  int url(int host, int rank) {
    return byHost[start[host] + rank];
  }

  /** The host of URL {@code index}. */
  int hostOf(int index) {
    return hostOf[index];
  }

  /** The place of URL {@code index} among its host's URLs: how many of them come before it. */
  int rank(int index) {
    int h = hostOf[index];
    return Arrays.binarySearch(byHost, start[h], start[h + 1], index) - start[h];
  }

  /**
   * A prefix of the URL list as per-host counts: for each host, how many of its URLs have an
   * index below {@code upTo} (how a {@link Job.FetchesStarted} of earlier versions reads).
   */
  int[] below(int upTo) {
    int[] counts = new int[count()];
    for (int i = 0; i < Math.min(upTo, hostOf.length); i++) counts[hostOf[i]]++;
    return counts;
  }
}
