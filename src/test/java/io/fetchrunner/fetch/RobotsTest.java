package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * robots.txt as a site serves it (a JDK server on 127.0.0.1): rules for fetchrunner and for
 * others, Crawl-delay, 4xx, 5xx, a file that never comes, one that never ends, and how often
 * the site is asked.
 */
class RobotsTest {
  private static final ActorTestKit kit = ActorTestKit.create("robots-test");
  /** The test sites listen on loopback, which the service refuses unless allowed. */
  private static final TargetPolicy LOCAL =
      new TargetPolicy(List.of("127.0.0.0/8"), List.of(), false);
  private static final Robots.Limits LIMITS = new Robots.Limits(Duration.ofSeconds(5),
      500 * 1024, Duration.ofHours(1), Duration.ofHours(1), Duration.ofSeconds(30), 100);

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Robots robots(Robots.Limits limits) {
    return new Robots(kit.system(), limits, "fetchrunner/0.1", LOCAL);
  }

  private static Robots.Decision check(Robots robots, String url) {
    try {
      return robots.check(url).toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(url, e);
    }
  }

  @Test
  void aDisallowedPathIsRefusedNamingTheRobotsTxtAndItsRule() {
    try (Site site = new Site(text(200, "User-agent: *\nDisallow: /private\n"))) {
      Robots robots = robots(LIMITS);
      Robots.Decision refused = check(robots, site.url("/private/x"));
      assertFalse(refused.allowed());
      assertEquals("disallowed by " + site.url("/robots.txt")
          + " for fetchrunner (Disallow: /private)", refused.reason());
      assertEquals(new Robots.Decision(true, null, null), check(robots, site.url("/public")));
      assertEquals("fetchrunner/0.1", site.userAgent, "robots.txt is asked for as ourselves");
    }
  }

  @Test
  void anAllowOverridesABroaderDisallow() {
    try (Site site = new Site(text(200,
        "User-agent: *\nDisallow: /docs\nAllow: /docs/public\n"))) {
      Robots robots = robots(LIMITS);
      assertTrue(check(robots, site.url("/docs/public/a.html")).allowed());
      assertFalse(check(robots, site.url("/docs/internal.html")).allowed());
    }
  }

  @Test
  void onlyTheGroupsForFetchrunnerApply() {
    try (Site site = new Site(text(200, "User-agent: otherbot\nDisallow: /\n\n"
        + "User-agent: FetchRunner\nDisallow: /mine\n"));
         Site others = new Site(text(200, "User-agent: otherbot\nDisallow: /\n"))) {
      Robots robots = robots(LIMITS);
      assertTrue(check(robots, site.url("/anything")).allowed(), "otherbot's rule");
      assertFalse(check(robots, site.url("/mine/1")).allowed(), "fetchrunner's rule");
      assertTrue(check(robots, others.url("/anything")).allowed(), "no group for us");
    }
  }

  @Test
  void crawlDelayIsObeyedUpToTheMaximum() {
    try (Site polite = new Site(text(200, "User-agent: *\nCrawl-delay: 2\n"));
         Site greedy = new Site(text(200, "User-agent: *\nCrawl-delay: 86400\n"))) {
      Robots robots = robots(LIMITS);
      assertEquals(new Robots.Decision(true, Duration.ofSeconds(2), null),
          check(robots, polite.url("/a")));
      // A day between requests is cut to 30 s; the site is not refused for asking it.
      assertEquals(new Robots.Decision(true, Duration.ofSeconds(30), null),
          check(robots, greedy.url("/a")));
    }
  }

  @Test
  void aMissingOrForbiddenRobotsTxtAllowsEverything() {
    try (Site missing = new Site(text(404, "no such file"));
         Site forbidden = new Site(text(403, "go away"))) {
      Robots robots = robots(LIMITS);
      assertEquals(new Robots.Decision(true, null, null), check(robots, missing.url("/any")));
      assertEquals(new Robots.Decision(true, null, null), check(robots, forbidden.url("/any")));
    }
  }

  @Test
  void tooManyRequestsIsAnErrorNotAMissingFile() {
    try (Site site = new Site(text(429, "slow down"))) {
      Robots.Decision d = check(robots(LIMITS), site.url("/a"));
      assertFalse(d.allowed());
      assertTrue(d.reason().contains("could not be fetched (HTTP 429 Too Many Requests)"),
          d.reason());
    }
  }

  @Test
  void aServerErrorDisallowsEverythingUntilTheErrorExpires() {
    try (Site site = new Site(text(500, "oops"))) {
      Robots robots = robots(new Robots.Limits(Duration.ofSeconds(5), 500 * 1024,
          Duration.ofHours(1), Duration.ofSeconds(1), Duration.ofSeconds(30), 100));
      Robots.Decision d = check(robots, site.url("/a"));
      assertFalse(d.allowed());
      assertEquals("unreachable robots.txt: " + site.url("/robots.txt") + " could not be"
          + " fetched (HTTP 500 Internal Server Error), so nothing on its site is allowed for"
          + " now (RFC 9309)", d.reason());
      assertFalse(check(robots, site.url("/b")).allowed());
      assertEquals(1, site.robotsRequests.get(), "the error is kept for errorExpiry");

      site.robots = text(200, "User-agent: *\nDisallow: /private\n");
      sleep(1_200);
      assertTrue(check(robots, site.url("/b")).allowed(), "asked again once it expired");
      assertEquals(2, site.robotsRequests.get());
    }
  }

  @Test
  void aRobotsTxtThatNeverAnswersTimesOutAndDisallows() {
    try (Site site = new Site(Site.HANGS)) {
      Robots robots = robots(new Robots.Limits(Duration.ofSeconds(1), 500 * 1024,
          Duration.ofHours(1), Duration.ofHours(1), Duration.ofSeconds(30), 100));
      long start = System.nanoTime();
      Robots.Decision d = check(robots, site.url("/a"));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertFalse(d.allowed());
      assertTrue(d.reason().contains("could not be fetched (no complete answer within 1000 ms)"),
          d.reason());
      assertTrue(ms >= 900 && ms < 4_000, "answered after " + ms + " ms");
    }
  }

  @Test
  void aRefusedConnectionDisallows() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Robots.Decision d = check(robots(LIMITS), "http://127.0.0.1:" + port + "/a");
    assertFalse(d.allowed());
    assertTrue(d.reason().contains("could not be fetched (connection refused by 127.0.0.1:"
        + port + ")"), d.reason());
  }

  @Test
  void concurrentChecksOfOneOriginShareOneRequest() throws Exception {
    try (Site site = new Site(exchange -> {
      sleep(300); // every check arrives while the file is on its way
      text(200, "User-agent: *\nDisallow: /private\n").handle(exchange);
    })) {
      Robots robots = robots(LIMITS);
      ExecutorService callers = Executors.newFixedThreadPool(8);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Robots.Decision>> decisions = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          String path = (i % 2 == 0 ? "/private/" : "/public/") + i;
          decisions.add(CompletableFuture.supplyAsync(() -> {
            await(go);
            return robots.check(site.url(path)).toCompletableFuture().join();
          }, callers));
        }
        go.countDown();
        for (int i = 0; i < 100; i++) {
          assertEquals(i % 2 != 0, decisions.get(i).get(20, TimeUnit.SECONDS).allowed());
        }
      } finally {
        callers.shutdownNow();
      }
      assertEquals(1, site.robotsRequests.get());
      assertEquals(1, robots.cached());
    }
  }

  @Test
  void aRobotsTxtIsAskedForAgainAfterItExpires() {
    try (Site site = new Site(text(200, "User-agent: *\nDisallow: /private\n"))) {
      Robots robots = robots(new Robots.Limits(Duration.ofSeconds(5), 500 * 1024,
          Duration.ofSeconds(1), Duration.ofHours(1), Duration.ofSeconds(30), 100));
      check(robots, site.url("/a"));
      check(robots, site.url("/b"));
      assertEquals(1, site.robotsRequests.get());
      site.robots = text(200, "User-agent: *\nDisallow: /\n");
      sleep(1_200);
      assertFalse(check(robots, site.url("/a")).allowed(), "the new file applies");
      assertEquals(2, site.robotsRequests.get());
    }
  }

  @Test
  void theLeastRecentlyCheckedOriginsMakeRoomForNewOnes() {
    try (Site a = new Site(text(200, "User-agent: *\nDisallow: /private\n"));
         Site b = new Site(text(200, "User-agent: *\nDisallow: /private\n"))) {
      Robots robots = robots(new Robots.Limits(Duration.ofSeconds(5), 500 * 1024,
          Duration.ofHours(1), Duration.ofHours(1), Duration.ofSeconds(30), 1));
      check(robots, a.url("/x"));
      check(robots, b.url("/x"));
      check(robots, a.url("/y"));
      assertEquals(2, a.robotsRequests.get(), "a was dropped for b, and asked for again");
      assertEquals(1, b.robotsRequests.get());
      assertEquals(1, robots.cached());
    }
  }

  @Test
  void aBodyPastMaxBytesIsParsedUpToTheCap() {
    String head = "User-agent: *\nDisallow: /early\nDisallow: /private-notes\n";
    int cut = head.indexOf("/private-notes") + "/pri".length();
    // The server would go on for ever: the file is read up to the cap and no further.
    try (Site site = new Site(exchange -> {
      exchange.sendResponseHeaders(200, 0);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        byte[] more = "Disallow: /late\n".repeat(1_000).getBytes(StandardCharsets.US_ASCII);
        while (true) out.write(more);
      }
    })) {
      Robots robots = robots(new Robots.Limits(Duration.ofSeconds(5), cut, Duration.ofHours(1),
          Duration.ofHours(1), Duration.ofSeconds(30), 100));
      assertFalse(check(robots, site.url("/early/1")).allowed());
      // The line the cap cut ("Disallow: /pri") is not a rule, nor is what came after it.
      assertTrue(check(robots, site.url("/print")).allowed());
      assertTrue(check(robots, site.url("/late")).allowed());
    }
  }

  @Test
  void redirectsAreFollowedUpToFive() {
    try (Site site = new Site(Map.of(
        "/robots.txt", redirect("/r1"),
        "/r1", redirect("/real-robots.txt"),
        "/real-robots.txt", text(200, "User-agent: *\nDisallow: /private\n")));
         Site loop = new Site(redirect("/robots.txt?again"))) {
      Robots robots = robots(LIMITS);
      assertFalse(check(robots, site.url("/private/1")).allowed());
      // Past five redirects the file counts as unavailable, as a 404 does.
      assertEquals(new Robots.Decision(true, null, null), check(robots, loop.url("/private")));
      assertEquals(6, loop.robotsRequests.get());
    }
  }

  @Test
  void aTargetThePolicyDeniesIsNotAsked() {
    try (Site site = new Site(text(200, "User-agent: *\nDisallow:\n"))) {
      Robots robots = new Robots(kit.system(), LIMITS, "fetchrunner/0.1",
          new TargetPolicy(List.of(), List.of(), false));
      Robots.Decision d = check(robots, site.url("/a"));
      assertFalse(d.allowed());
      assertTrue(d.reason().contains("could not be fetched (target denied: 127.0.0.1 is a"
          + " loopback or private address"), d.reason());
      assertEquals(0, site.robotsRequests.get());
    }
  }

  private static HttpHandler text(int status, String body) {
    return exchange -> {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    };
  }

  private static HttpHandler redirect(String location) {
    return exchange -> {
      exchange.getResponseHeaders().set("Location", location);
      exchange.sendResponseHeaders(301, -1);
      exchange.close();
    };
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A site on 127.0.0.1 that counts the requests for /robots.txt (redirected ones too). */
  private static final class Site implements AutoCloseable {
    /** Holds the request until the site closes. */
    static final HttpHandler HANGS = exchange -> {};

    final AtomicInteger robotsRequests = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);
    final ExecutorService threads = Executors.newCachedThreadPool();
    final HttpServer server;
    volatile HttpHandler robots;
    volatile String userAgent;

    Site(HttpHandler robots) {
      this(Map.of("/robots.txt", robots));
    }

    Site(Map<String, HttpHandler> paths) {
      this.robots = paths.get("/robots.txt");
      try {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      paths.forEach((path, handler) -> server.createContext(path, exchange -> {
        HttpHandler h = handler;
        if (path.equals("/robots.txt")) {
          robotsRequests.incrementAndGet();
          userAgent = exchange.getRequestHeaders().getFirst("User-Agent");
          h = robots; // the test may change it
        }
        if (h == HANGS) {
          await(closed);
          return;
        }
        h.handle(exchange);
      }));
      server.setExecutor(threads);
      server.start();
    }

    String url(String path) {
      return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Override
    public void close() {
      closed.countDown();
      server.stop(0);
      threads.shutdownNow();
    }
  }
}
