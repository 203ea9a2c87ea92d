package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections kept for later requests are closed after fetchrunner.fetch.keep-alive-timeout
 * unused: a burst of thousands of connections does not hold their memory for long.
 */
class KeepAliveTest {

  @Test
  void idleConnectionsCloseAfterTheKeepAliveTimeout(@TempDir Path dataDir) {
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir,
             "fetchrunner.fetch.keep-alive-timeout = 3s")) {
      Api api = new Api(service.port());
      List<String> urls = IntStream.range(0, 20)
          .mapToObj(i -> target.url("/delay/300?keep=" + i)).toList();
      String id = api.submit(Map.of("urls", urls, "concurrency", 20));
      JsonNode job = api.awaitFinished(id, Duration.ofSeconds(30));
      assertEquals(20, job.get("succeeded").asInt(), job::toString);
      assertTrue(target.openConnections() >= 10,
          "the connections stay open right after the job: " + target.openConnections());
      int open = Integer.MAX_VALUE;
      for (int i = 0; i < 100 && open > 0; i++) {
        Api.sleep(100);
        open = target.openConnections();
      }
      assertEquals(0, open, "every idle connection closed within 10 s of a 3 s keep-alive");
    }
  }

  /**
   * A server that closes a kept-alive connection after 200 ms unused (many do, sooner than our
   * keep-alive-timeout): the next request goes on a new connection and succeeds at once.
   */
  @Test
  void aConnectionTheServerClosedWhileIdleIsNotUsedAgain(@TempDir Path dataDir)
      throws Exception {
    AtomicInteger connections = new AtomicInteger();
    AtomicInteger requests = new AtomicInteger();
    try (ServerSocket server = new ServerSocket(0, 50,
             InetAddress.getLoopbackAddress());
         FetchRunner service = Services.start(dataDir, "")) {
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try (Socket s = server.accept()) {
            connections.incrementAndGet();
            s.setSoTimeout(200); // closes the connection after 200 ms without a request
            var in = new BufferedReader(new InputStreamReader(
                s.getInputStream(), StandardCharsets.US_ASCII));
            while (true) {
              String line = in.readLine();
              if (line == null) break;
              if (!line.isEmpty()) continue; // headers until the blank line
              requests.incrementAndGet();
              s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                  .getBytes(StandardCharsets.US_ASCII));
            }
          } catch (IOException e) {
            // the idle timeout, or the socket closed
          }
        }
      }, "closing-server");
      t.setDaemon(true);
      t.start();
      Api api = new Api(service.port());
      String url = "http://127.0.0.1:" + server.getLocalPort() + "/";
      for (int round = 0; round < 3; round++) {
        String id = api.submit(Map.of("urls", List.of(url), "retries", 0));
        JsonNode r = api.awaitFinished(id, Duration.ofSeconds(10)).get("results").get(0);
        assertEquals("SUCCEEDED", r.get("state").asText(), "round " + round + ": " + r);
        Api.sleep(600); // the server has closed the connection meanwhile
      }
      assertEquals(3, requests.get());
      assertEquals(3, connections.get(), "one connection per request: none was reused closed");
    }
  }

  @Test
  void connectionsAreReusedBetweenRequests(@TempDir Path dataDir) {
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir, "")) {
      Api api = new Api(service.port());
      List<String> urls = IntStream.range(0, 500)
          .mapToObj(i -> target.url("/delay/0?reuse=" + i)).toList();
      String id = api.submit(Map.of("urls", urls, "concurrency", 10));
      JsonNode job = api.awaitFinished(id, Duration.ofSeconds(60));
      assertEquals(500, job.get("succeeded").asInt(), job::toString);
      assertTrue(target.peakConnections() <= 20,
          "500 requests, 10 at a time, over at most 20 connections: " + target.peakConnections());
    }
  }
}
