package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.job.UrlHost;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job gets the concurrency it asks of one host, with the default settings; a host's pool is
 * sized for that only while that many requests may go to it.
 */
class PoolTiersTest {
  private static final ConnectionPoolSettings BASE = ConnectionPoolSettings.create(
      ConfigFactory.defaultReference());
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final PoolTiers tiers =
      new PoolTiers(BASE, 10_000, Duration.ofSeconds(10), clock::get);

  @Test
  void aJobGetsTheConcurrencyItAsksOfOneHostByDefault(@TempDir Path dataDir) {
    int n = 1_100; // more than a small pool's 1,024 connections (and the old default)
    try (TargetServer target = new TargetServer();
        FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      List<String> urls = IntStream.range(0, n)
          .mapToObj(i -> target.url("/delay/1500?one-host=" + i)).toList();
      String id = api.submit(Map.of("urls", urls, "concurrency", n));
      JsonNode job = api.awaitFinished(id, Duration.ofSeconds(60));
      assertEquals(n, job.get("succeeded").asInt(), job::toString);
      assertEquals(n, target.peakConnections(), "every URL had its own connection at once");
    }
  }

  @Test
  void hostsUseTheSmallPoolUnlessMoreThanItsConnectionsMayGoToThem() {
    assertEquals(1024, tiers.small().getMaxConnections());
    assertEquals(4096, tiers.small().getMaxOpenRequests());
    assertSame(tiers.small(), tiers.choose("a:80", 1024, () -> 1024));

    ConnectionPoolSettings large = tiers.choose("a:80", 1025, () -> 1);
    assertEquals(10_000, large.getMaxConnections(), "a job asking more of this host");
    assertEquals(65_536, large.getMaxOpenRequests());
    assertSame(large, tiers.choose("b:80", 10, () -> 1025), "more in flight and waiting");
    assertSame(tiers.small(), tiers.choose("c:80", 10, () -> 10));
  }

  @Test
  void aLargeHostStaysLargeWhileItsPoolKeepsConnections() {
    ConnectionPoolSettings large = tiers.choose("a:80", 5_000, () -> 0);
    clock.addAndGet(Duration.ofSeconds(9).toNanos());
    assertSame(large, tiers.choose("a:80", 10, () -> 10), "its next burst finds them");
    clock.addAndGet(Duration.ofSeconds(9).toNanos()); // 9 s after the last use
    assertSame(large, tiers.choose("a:80", 10, () -> 10));
    clock.addAndGet(Duration.ofSeconds(10).toNanos());
    assertSame(tiers.small(), tiers.choose("a:80", 10, () -> 10), "connections closed by now");
    assertEquals(0, tiers.largeHosts());
  }

  @Test
  void hostsGoneColdAreForgotten() {
    tiers.choose("a:80", 5_000, () -> 0);
    tiers.choose("b:80", 5_000, () -> 0);
    clock.addAndGet(Duration.ofSeconds(11).toNanos());
    tiers.choose("c:80", 5_000, () -> 0);
    assertEquals(1, tiers.largeHosts(), "a and b dropped when c came");
  }

  @Test
  void withAtMostASmallPoolPerHostThereIsOneSize() {
    PoolTiers one = new PoolTiers(BASE, 300, Duration.ofSeconds(10), clock::get);
    assertEquals(300, one.small().getMaxConnections());
    assertEquals(2048, one.small().getMaxOpenRequests());
    assertSame(one.small(), one.choose("a:80", 5_000, () -> 5_000));
  }

  @Test
  void aJobCountsOnlyTheHostsWithMoreUrlsThanASmallPool() {
    List<String> urls = Stream.concat(
        IntStream.range(0, 1_500).mapToObj(i -> "http://Busy.example/" + i),
        IntStream.range(0, 1_000).mapToObj(i -> "http://h" + i + ".example:8080/")).toList();
    assertEquals(Map.of("busy.example", 1_500), UrlHost.countsAbove(urls, 1_024));
  }
}
