package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.fetch.Failures.Phase;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every way a target can misbehave ends in a result with a stable errorKind, a sentence for a
 * person (no exception class names), the status and bytes that did arrive, and no stack trace
 * in the log. The failures are made by real sockets on 127.0.0.1.
 */
class FailuresTest {

  /** What one misbehaving URL must end as. */
  private record Case(String url, String kind, Integer status, String errorStart) {}

  @Test
  void eachMisbehaviourHasItsKindItsWordsAndWhatArrived(@TempDir Path dataDir)
      throws Exception {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    log.start();
    root.addAppender(log);
    List<RawServer> raw = new ArrayList<>();
    try (TargetServer target = new TargetServer();
         FetchRunner service = Services.start(dataDir, """
             fetchrunner.fetch.connect-timeout = 1s
             fetchrunner.fetch.targets.allow = ["127.0.0.0/8"]
             """)) {
      int closedPort;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        closedPort = s.getLocalPort();
      }
      RawServer silentClose = raw(raw, socket -> readRequest(socket));
      RawServer garbage = raw(raw, socket -> {
        readRequest(socket);
        write(socket, "HELLO THERE\r\n\r\n");
      });
      RawServer plain = raw(raw, socket -> { // plain HTTP, answering whatever comes
        try {
          socket.getInputStream().read(new byte[4096]);
        } catch (IOException e) {
          return;
        }
        write(socket, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        Api.sleep(300);
      });
      String started = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000);
      RawServer truncating = raw(raw, socket -> {
        readRequest(socket);
        write(socket, started);
        Api.sleep(300); // the client has read what was sent; then FIN
      });
      RawServer resetting = raw(raw, socket -> {
        readRequest(socket);
        write(socket, started);
        Api.sleep(300);
        try {
          socket.setSoLinger(true, 0); // RST
        } catch (IOException e) {
          // gone
        }
      });
      RawServer resetAtOnce = raw(raw, socket -> {
        readRequest(socket); // the request is in: then RST instead of an answer
        try {
          socket.setSoLinger(true, 0);
        } catch (IOException e) {
          // gone
        }
      });
      RawServer full = RawServer.neverAccepting();
      raw.add(full);

      Map<String, Case> cases = new LinkedHashMap<>();
      cases.put("refused", new Case("http://127.0.0.1:" + closedPort + "/", "refused", null,
          "connection refused by 127.0.0.1:" + closedPort));
      cases.put("timeout-connect", new Case(full.url(), "timeout-connect", null,
          "no connection to 127.0.0.1:" + full.port() + " within"));
      cases.put("reset", new Case(resetAtOnce.url(), "reset", null,
          "the server reset the connection before sending a response"));
      cases.put("closed", new Case(silentClose.url(), "closed", null,
          "the server closed the connection before sending a response"));
      cases.put("truncated", new Case(truncating.url(), "closed", 200,
          "the server closed the connection after 1000 bytes, before the body was complete"));
      cases.put("reset-body", new Case(resetting.url(), "reset", 200,
          "the server reset the connection after "));
      cases.put("protocol", new Case(garbage.url(), "protocol", null,
          "the response is not valid HTTP"));
      cases.put("tls", new Case("https://127.0.0.1:" + plain.port() + "/", "tls", null,
          "TLS handshake with 127.0.0.1:" + plain.port() + " failed"));
      cases.put("too-large", new Case(target.url("/bytes/5000"), "too-large", 200,
          "body larger than 1000 bytes (maxBodyBytes)"));
      cases.put("http-status", new Case(target.url("/status/404"), "http-status", 404,
          "HTTP 404 Not Found"));
      cases.put("loop", new Case(target.url("/loop/a"), "too-many-redirects", 302,
          "redirect loop"));
      // Refused at submission; a redirect there is refused when it is about to be followed.
      cases.put("denied", new Case(target.url("/redirect-to?url=http://192.0.2.1/"), "denied",
          302, "target denied"));

      Api api = new Api(service.port());
      List<String> urls = cases.values().stream().map(Case::url).toList();
      String id = api.submit(Map.of("urls", urls, "retries", 0, "maxBodyBytes", 1000,
          "timeoutMs", 10_000));
      JsonNode results = api.awaitFinished(id, Duration.ofSeconds(60)).get("results");
      int i = 0;
      for (var c : cases.entrySet()) {
        JsonNode r = results.get(i++);
        Case want = c.getValue();
        String name = c.getKey() + ": " + r;
        assertEquals("FAILED", r.get("state").asText(), name);
        assertEquals(want.kind(), r.get("errorKind").asText(), name);
        assertTrue(r.get("error").asText().startsWith(want.errorStart()), name);
        assertEquals(want.status() == null ? null : want.status().intValue(),
            r.get("httpStatus").isNull() ? null : r.get("httpStatus").asInt(), name);
        assertTrue(!r.get("error").asText().matches(".*[a-z]+\\.[a-z]+\\.[A-Z]\\w+Exception.*"),
            "no exception class names: " + name);
      }
      assertEquals(1000, results.get(4).get("bytes").asLong(), "the truncated body's bytes");
      // A reset drops what the connection had buffered: at most the 1,000 bytes sent count.
      long reset = results.get(5).get("bytes").asLong();
      assertTrue(reset <= 1000 && results.get(5).get("error").asText()
          .equals("the server reset the connection after " + reset + " bytes of the body"),
          results.get(5)::toString);
    } finally {
      root.detachAppender(log);
      for (RawServer s : raw) s.close();
    }
    for (ILoggingEvent e : log.list) {
      if (e.getLoggerName().startsWith("io.fetchrunner.support")) continue; // the target's own
      assertNull(e.getThrowableProxy(), () -> "a stack trace in the log: "
          + e.getLoggerName() + " " + e.getFormattedMessage());
      assertTrue(e.getLevel().toInt() <= Level.WARN.toInt(),
          () -> "an ERROR in the log: " + e.getFormattedMessage());
    }
  }

  @Test
  void classifiesByPhaseAndCauseNotByWordsInTheMessage() {
    var dns = Failures.classify(new CompletionException(new UnknownHostException("x.invalid")),
        Phase.CONNECT, "x.invalid:80", 0);
    assertEquals(ErrorKind.DNS, dns.kind());
    assertEquals("the host name of x.invalid:80 did not resolve", dns.error());
    // "connection" in a message does not make a failure retryable, as it once did.
    var other = Failures.classify(new IllegalStateException("connection pool is full"),
        Phase.HEADERS, "h:80", 0);
    assertEquals(ErrorKind.OTHER, other.kind());
    assertTrue(!other.retryable());
    var large = Failures.classify(new Failures.BodyTooLarge(10), Phase.BODY, "h:80", 11);
    assertEquals(ErrorKind.TOO_LARGE, large.kind());
    assertTrue(!large.retryable());
  }

  @Test
  void resultsStoredBeforeErrorKindsAreNamedFromTheirText() {
    assertEquals(ErrorKind.HTTP_STATUS, ErrorKind.fromStoredText("HTTP 503 Service Unavailable"));
    assertEquals(ErrorKind.DENIED, ErrorKind.fromStoredText("target denied: x"));
    assertEquals(ErrorKind.OTHER, ErrorKind.fromStoredText("timeout after 5000 ms"));
    var stored = new io.fetchrunner.job.UrlResult(io.fetchrunner.job.UrlState.FAILED, null, 0,
        5, 1, "connection refused", null, null, null, null);
    assertEquals("refused", stored.errorKind());
  }

  private static RawServer raw(List<RawServer> all, Consumer<Socket> behaviour)
      throws IOException {
    RawServer s = new RawServer(behaviour);
    all.add(s);
    return s;
  }

  private static void readRequest(Socket socket) {
    try {
      InputStream in = socket.getInputStream();
      int matched = 0;
      byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      int b;
      while (matched < 4 && (b = in.read()) != -1) {
        matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private static void write(Socket socket, String text) {
    try {
      OutputStream out = socket.getOutputStream();
      out.write(text.getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      // the client went away
    }
  }

  /** A one-thread server on 127.0.0.1 that treats each connection with a behaviour. */
  private static final class RawServer implements AutoCloseable {
    private final ServerSocket socket;
    private final List<Socket> held = new ArrayList<>();

    RawServer(Consumer<Socket> behaviour) throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t = new Thread(() -> {
        while (!socket.isClosed()) {
          try (Socket s = socket.accept()) {
            behaviour.accept(s);
          } catch (IOException e) {
            // closed
          }
        }
      }, "raw-server");
      t.setDaemon(true);
      t.start();
    }

    /**
     * A listening socket that never accepts, its backlog of one filled by connections of our
     * own: the kernel drops further connection attempts, which then wait for their timeout.
     */
    static RawServer neverAccepting() throws IOException {
      RawServer s = new RawServer(null, new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      for (int i = 0; i < 4; i++) {
        Socket filler = new Socket();
        try {
          filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
              s.port()), 200);
          s.held.add(filler);
        } catch (IOException e) {
          filler.close();
          break; // the backlog is full
        }
      }
      return s;
    }

    private RawServer(Void noThread, ServerSocket socket) {
      this.socket = socket;
    }

    int port() {
      return socket.getLocalPort();
    }

    String url() {
      return "http://127.0.0.1:" + port() + "/";
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket s : held) s.close();
    }
  }
}
