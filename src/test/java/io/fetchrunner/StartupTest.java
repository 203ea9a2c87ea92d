package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.TargetServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service that cannot start says why and exits non-zero, in a real child JVM. */
class StartupTest {

  @Test
  void aTakenPortIsReported(@TempDir Path dataDir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      var exit = ChildService.startExpectingFailure(dataDir,
          "-Dfetchrunner.http.port=" + taken.getLocalPort());
      assertEquals(1, exit.code(), exit.output());
      assertTrue(exit.output().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()),
          exit.output());
    }
  }

  @Test
  void aSecondInstanceOnTheSameDataIsRefused(@TempDir Path dataDir) {
    try (ChildService first = ChildService.start(dataDir)) {
      var exit = ChildService.startExpectingFailure(dataDir, "-Dfetchrunner.http.port=0");
      assertEquals(1, exit.code(), exit.output());
      assertTrue(exit.output().contains("another fetchrunner running on the same data directory"),
          exit.output());
    }
  }

  @Test
  void aLowOpenFileLimitIsReportedAndFetchesStayUnderIt(@TempDir Path dataDir) {
    // 640 descriptors: 160 kept for the jars, the store and the API, 480 for fetches.
    try (TargetServer target = new TargetServer();
        ChildService child = ChildService.startUnderOpenFileLimit(640, dataDir)) {
      String out = child.output();
      assertTrue(out.contains("open-file limit 640, fetches in flight at most 480"), out);
      assertTrue(out.contains("fetchrunner.fetch.max-in-flight lowered from 16384 to 480 and"
          + " per-host-concurrency from 10000 to 480"), out);

      // A job asking for more than that: it waits its turn instead of running out of sockets.
      Api api = new Api(child.port());
      List<String> urls = IntStream.range(0, 600)
          .mapToObj(i -> target.url("/delay/300?fd=" + i)).toList();
      String id = api.submit(Map.of("urls", urls, "concurrency", 600));
      JsonNode done = api.awaitFinished(id, Duration.ofSeconds(60));
      assertEquals(600, done.get("succeeded").asInt(), done.toString());
      assertTrue(target.peakConnections() <= 480,
          "connections at once: " + target.peakConnections());
    }
  }

  @Test
  void badConfigurationIsReported(@TempDir Path dataDir) {
    var exit = ChildService.startExpectingFailure(dataDir, "-Dfetchrunner.http.port=0",
        "-Dfetchrunner.jobs.default-concurrency=0");
    assertEquals(1, exit.code(), exit.output());
    assertTrue(exit.output().contains("fetchrunner.jobs.default-concurrency"), exit.output());
  }

  @Test
  void aMissingCertificateFileIsReported(@TempDir Path dataDir) {
    var exit = ChildService.startExpectingFailure(dataDir, "-Dfetchrunner.http.port=0",
        "-Dfetchrunner.fetch.tls.ca-file=" + dataDir.resolve("no-such-ca.pem"));
    assertEquals(1, exit.code(), exit.output());
    assertTrue(exit.output().contains("fetchrunner.fetch.tls.ca-file must be empty or name a "
        + "readable PEM file"), exit.output());
  }

  @Test
  void anUnwritableDataDirectoryIsReported(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
    var exit = ChildService.startExpectingFailure(file.resolve("data"),
        "-Dfetchrunner.http.port=0");
    assertEquals(1, exit.code(), exit.output());
    assertTrue(exit.output().contains("cannot create the data directory"), exit.output());
  }
}
