package io.fetchrunner.fetch;

import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRules.RobotRulesMode;
import crawlercommons.robots.SimpleRobotRulesParser;
import io.fetchrunner.Secrets;
import io.fetchrunner.Stages;
import io.fetchrunner.fetch.Failures.Phase;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.UserAgent;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;

/**
 * Whether robots.txt (RFC 9309) lets fetchrunner fetch a URL, and the Crawl-delay it asks for.
 *
 * <p>The robots.txt of an origin (scheme://host:port) is fetched once and kept for
 * {@link Limits#expiry}; checks that arrive while it is being fetched wait for that one fetch.
 * At most {@link Limits#maxHosts} origins are kept, the least recently checked going first.
 * The fetch goes through the {@link TargetPolicy} (a denied target is not requested), follows
 * up to 5 redirects, and reads at most {@link Limits#maxBytes} of the body: what came is parsed,
 * as Google does past 500 KiB, so a long file never fails.
 *
 * <p>Outcomes, as RFC 9309 section 2.3.1 has them: 2xx, the rules; 4xx (the file is
 * "unavailable"), no rules; 5xx, a timeout, a refused or broken connection (the file is
 * "unreachable"), nothing is allowed, and that is kept only for {@link Limits#errorExpiry}, so
 * the site is asked again soon. Safe to call from many actors at once.
 */
public final class Robots {
  /**
   * @param timeout the whole fetch of one robots.txt, redirects and body included
   * @param maxBytes the most of a robots.txt that is read and parsed
   * @param expiry how long a fetched robots.txt (or its 4xx) is used
   * @param errorExpiry how long an unreachable robots.txt disallows its origin
   * @param maxCrawlDelay the largest Crawl-delay obeyed; a larger one is cut to it
   * @param maxHosts origins whose robots.txt is kept
   */
  public record Limits(Duration timeout, long maxBytes, Duration expiry, Duration errorExpiry,
      Duration maxCrawlDelay, int maxHosts) {
    public Limits {
      for (Duration d : List.of(timeout, expiry, errorExpiry, maxCrawlDelay)) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("robots durations must be positive: " + d);
        }
      }
      if (maxBytes <= 0) throw new IllegalArgumentException("robots maxBytes must be positive");
      if (maxHosts <= 0) throw new IllegalArgumentException("robots maxHosts must be positive");
    }
  }

  /**
   * @param crawlDelay the origin's Crawl-delay (at most maxCrawlDelay); null when none
   * @param reason why the URL is not allowed; null when it is
   */
  public record Decision(boolean allowed, Duration crawlDelay, String reason) {}

  /** RFC 9309 2.3.1.2: crawlers should follow at least five consecutive redirects. */
  private static final int MAX_REDIRECTS = 5;
  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

  private final ActorSystem<?> system;
  private final Limits limits;
  /** The user agent's product token, lower case: the name robots.txt groups are matched to. */
  private final String robotName;
  private final TargetPolicy targets;
  private final Materializer materializer;
  private final Http http;
  private final HttpsConnectionContext https;
  private final ConnectionPoolSettings pool;
  private final LoggingAdapter log;
  private final Executor blocking;
  /** Origin -> its robots.txt, least recently used first; guarded by itself. */
  private final LinkedHashMap<String, Entry> cache;
  /** Origin -> the fetch under way: concurrent checks share it. */
  private final ConcurrentHashMap<String, CompletableFuture<Entry>> inFlight =
      new ConcurrentHashMap<>();

  /**
   * @param userAgent the User-Agent sent; its product token ("fetchrunner" of
   *     "fetchrunner/0.1") is the robot name matched against User-agent lines
   */
  public Robots(ActorSystem<?> system, Limits limits, String userAgent, TargetPolicy targets) {
    this(system, limits, userAgent, targets, null);
  }

  /**
   * @param https the TLS context of https:// robots.txt (the fetcher's, which trusts
   *     fetchrunner.fetch.tls.ca-file too); null: the JVM's authorities
   */
  public Robots(ActorSystem<?> system, Limits limits, String userAgent, TargetPolicy targets,
      HttpsConnectionContext https) {
    this.system = system;
    this.limits = limits;
    this.robotName = productToken(userAgent);
    this.targets = targets;
    this.materializer = Materializer.matFromSystem(system);
    this.http = Http.get(system);
    this.https = https != null ? https : http.defaultClientHttpsContext();
    this.log = system.classicSystem().log();
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    // A pool of its own: the pool retries nothing (the whole fetch has one timeout, and a
    // retry would only repeat a failure within it), and a connection whose server stopped
    // answering is closed after the timeout instead of pekko.http.client's idle-timeout.
    this.pool = ConnectionPoolSettings.create(system.classicSystem())
        .withMaxRetries(0)
        .withConnectionSettings(ClientConnectionSettings.create(system.classicSystem())
            .withUserAgentHeader(Optional.of(UserAgent.create(userAgent)))
            .withIdleTimeout(limits.timeout()));
    this.cache = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > limits.maxHosts();
      }
    };
  }

  /** "fetchrunner" of "fetchrunner/0.1" or "FetchRunner 0.1 (+https://...)". */
  static String productToken(String userAgent) {
    return userAgent.strip().split("[/\\s]", 2)[0].toLowerCase(Locale.ROOT);
  }

  /** Whether robots.txt allows {@code url}; never completes exceptionally. */
  public CompletionStage<Decision> check(String url) {
    Origin origin;
    try {
      origin = Origin.of(url);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(new Decision(false, null,
          "no robots.txt for an invalid URL: " + Secrets.url(url)));
    }
    Entry known = cachedEntry(origin.key());
    if (known != null) return CompletableFuture.completedFuture(decide(known, url));
    CompletableFuture<Entry> mine = new CompletableFuture<>();
    CompletableFuture<Entry> running = inFlight.putIfAbsent(origin.key(), mine);
    if (running == null) {
      running = mine;
      // A fetch that ended between the two looks has put its result in the cache already.
      known = cachedEntry(origin.key());
      if (known != null) {
        inFlight.remove(origin.key(), mine);
        mine.complete(known);
      } else {
        CompletableFuture<Entry> fetched;
        try {
          fetched = new RobotsFetch(origin).start();
        } catch (RuntimeException e) { // the scheduler refused (the system is stopping)
          fetched = CompletableFuture.failedFuture(e);
        }
        fetched.whenComplete((entry, error) -> {
          Entry e = error == null ? entry
              : unreachable(origin, "an internal error: " + error, System.nanoTime());
          // Cached before the in-flight entry goes: a check finds one or the other.
          synchronized (cache) {
            cache.put(origin.key(), e);
          }
          inFlight.remove(origin.key(), mine);
          mine.complete(e);
        });
      }
    }
    return running.thenApply(e -> decide(e, url));
  }

  /** Origins whose robots.txt is kept (expired ones included until they are checked). */
  public int cached() {
    synchronized (cache) {
      return cache.size();
    }
  }

  private Entry cachedEntry(String key) {
    synchronized (cache) {
      Entry e = cache.get(key);
      if (e == null) return null;
      if (System.nanoTime() - e.expiresAtNanos() >= 0) {
        cache.remove(key);
        return null;
      }
      return e;
    }
  }

  private Decision decide(Entry e, String url) {
    if (e.failure() != null) {
      return new Decision(false, null, "unreachable robots.txt: " + e.robotsUrl()
          + " could not be fetched (" + e.failure() + "), so nothing on its site is allowed"
          + " for now (RFC 9309)");
    }
    Duration delay = crawlDelay(e.rules());
    boolean allowed;
    try {
      allowed = e.rules().isAllowed(url);
    } catch (RuntimeException notAUrl) { // crawler-commons reads the path with java.net.URL
      return new Decision(false, delay, "the path of " + Secrets.url(url) + " cannot be"
          + " checked against " + e.robotsUrl() + ": " + notAUrl.getMessage());
    }
    if (allowed) return new Decision(true, delay, null);
    return new Decision(false, delay, "disallowed by " + e.robotsUrl() + " for " + robotName
        + deciding(e.rules(), url).map(rule -> " (Disallow: " + rule + ")").orElse(""));
  }

  /**
   * The Disallow rule that refuses {@code url}, as well as it can be told: crawler-commons
   * does not say which rule matched, so each Disallow is tried alone, longest first (the order
   * it keeps them in; the longest match decides).
   */
  private static Optional<String> deciding(SimpleRobotRules rules, String url) {
    for (SimpleRobotRules.RobotRule r : rules.getRobotRules()) {
      if (r.isAllow()) continue;
      SimpleRobotRules alone = new SimpleRobotRules();
      alone.addRule(r.getPrefix(), false);
      if (!alone.isAllowed(url)) return Optional.of(r.getPrefix());
    }
    return Optional.empty();
  }

  private Duration crawlDelay(SimpleRobotRules rules) {
    long ms = rules.getCrawlDelay();
    if (ms == SimpleRobotRules.UNSET_CRAWL_DELAY || ms <= 0) return null;
    Duration asked = Duration.ofMillis(ms);
    return asked.compareTo(limits.maxCrawlDelay()) > 0 ? limits.maxCrawlDelay() : asked;
  }

  private SimpleRobotRules parse(Origin origin, byte[] body, String contentType) {
    // No maximum here: crawler-commons disallows a whole site whose Crawl-delay exceeds its
    // maximum (5 minutes by default); we obey such a site at maxCrawlDelay instead.
    var parser = new SimpleRobotRulesParser(Long.MAX_VALUE, 5);
    return parser.parseContent(origin.robotsUrl(), body, contentType, List.of(robotName));
  }

  private Entry rules(Origin origin, SimpleRobotRules rules, long now) {
    return new Entry(origin.robotsUrl(), rules, null, now + limits.expiry().toNanos());
  }

  private Entry unavailable(Origin origin, long now) {
    return rules(origin, new SimpleRobotRules(RobotRulesMode.ALLOW_ALL), now);
  }

  private Entry unreachable(Origin origin, String why, long now) {
    return new Entry(origin.robotsUrl(), null, why, now + limits.errorExpiry().toNanos());
  }

  /**
   * What the robots.txt of an origin says until {@code expiresAtNanos}: its rules, or, when it
   * could not be fetched, why ({@code failure}; then nothing is allowed).
   */
  private record Entry(String robotsUrl, SimpleRobotRules rules, String failure,
      long expiresAtNanos) {}

  /** scheme://host:port of a URL, lower case, with the scheme's port when it has none. */
  private record Origin(String scheme, String host, int port) {
    static Origin of(String url) {
      Uri uri = Uri.create(url);
      String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException("not an HTTP URL");
      }
      String host = uri.host().address().toLowerCase(Locale.ROOT);
      if (host.isEmpty()) throw new IllegalArgumentException("no host");
      return new Origin(scheme, host, uri.port());
    }

    String key() {
      return scheme + "://" + hostForUrl() + ":" + port;
    }

    /** The robots.txt URL, without the port when it is the scheme's. */
    String robotsUrl() {
      boolean defaultPort = port == (scheme.equals("https") ? 443 : 80);
      return scheme + "://" + hostForUrl() + (defaultPort ? "" : ":" + port) + "/robots.txt";
    }

    private String hostForUrl() {
      return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
  }

  /** One fetch of an origin's robots.txt: its redirects, its timeout, its body. */
  private final class RobotsFetch {
    private final Origin origin;
    private final CompletableFuture<Entry> result = new CompletableFuture<>();
    private volatile Cancellable timer;
    private volatile UniqueKillSwitch body;

    RobotsFetch(Origin origin) {
      this.origin = origin;
    }

    CompletableFuture<Entry> start() {
      timer = system.scheduler().scheduleOnce(limits.timeout(), () -> finish(unreachable(
              origin, "no complete answer within " + limits.timeout().toMillis() + " ms",
              System.nanoTime())),
          system.executionContext());
      hop(origin.robotsUrl(), 0);
      return result;
    }

    private void hop(String url, int redirects) {
      Uri uri;
      String hostKey;
      try {
        uri = Uri.create(url);
        hostKey = HttpFetcher.hostKey(uri);
      } catch (RuntimeException e) {
        finish(unavailable(origin, System.nanoTime())); // a Location we cannot follow
        return;
      }
      targets.check(uri.host().address(), blocking).whenComplete((denied, error) -> {
        if (error != null || denied.isPresent()) {
          // Not asked, so not known: treated as unreachable, as a network error would be.
          String why = error != null ? Failures.classify(error, Phase.CONNECT, hostKey, 0).error()
              : denied.get();
          finish(unreachable(origin, "target denied: " + why + " (fetchrunner.fetch.targets)",
              System.nanoTime()));
        } else if (!result.isDone()) {
          send(url, hostKey, redirects);
        }
      });
    }

    private void send(String url, String hostKey, int redirects) {
      Stages.plain(http.singleRequest(HttpRequest.GET(url), https, pool, log))
          .whenComplete((response, error) -> {
            if (error != null) {
              finish(unreachable(origin, failure(error, hostKey), System.nanoTime()));
            } else if (result.isDone()) {
              response.discardEntityBytes(materializer); // timed out meanwhile
            } else {
              onResponse(url, hostKey, response, redirects);
            }
          });
    }

    private void onResponse(String url, String hostKey, HttpResponse response, int redirects) {
      int status = response.status().intValue();
      long now = System.nanoTime();
      Optional<String> location = response.getHeader("Location").map(h -> h.value());
      if (status >= 200 && status < 300) {
        readBody(hostKey, response);
        return;
      }
      response.discardEntityBytes(materializer);
      if (REDIRECTS.contains(status) && location.isPresent()) {
        String next;
        try {
          next = URI.create(url).resolve(location.get().strip()).toString();
        } catch (IllegalArgumentException e) {
          next = null;
        }
        // Past five redirects, or to somewhere that is not HTTP, the file is "unavailable"
        // (RFC 9309 2.3.1.2, as Google treats it: a 404).
        if (redirects >= MAX_REDIRECTS || next == null
            || !(next.startsWith("http://") || next.startsWith("https://"))) {
          finish(unavailable(origin, now));
        } else {
          hop(next, redirects + 1);
        }
      } else if (status == 429) {
        // A 4xx, but it asks us to slow down, not says there are no rules: Google treats it
        // as a server error, and so do we.
        finish(unreachable(origin, "HTTP 429 " + response.status().reason(), now));
      } else if (status >= 400 && status < 500) {
        finish(unavailable(origin, now));
      } else {
        finish(unreachable(origin, "HTTP " + status + " " + response.status().reason(), now));
      }
    }

    /** Reads up to maxBytes and parses what came; the rest is not read. */
    private void readBody(String hostKey, HttpResponse response) {
      long max = limits.maxBytes();
      String contentType = response.entity().getContentType().toString();
      AtomicLong seen = new AtomicLong(); // one stream counts
      var pair = response.entity().withoutSizeLimit().getDataBytes()
          .viaMat(KillSwitches.single(), Keep.right())
          .takeWhile(chunk -> seen.addAndGet(chunk.size()) < max, true)
          .toMat(Sink.fold(ByteString.emptyByteString(), ByteString::concat), Keep.both())
          .addAttributes(Connections.QUIET)
          .run(materializer);
      body = pair.first();
      if (result.isDone()) body.abort(new CancellationException("timed out"));
      Stages.plain(pair.second()).whenComplete((bytes, error) -> {
        if (error != null) {
          finish(unreachable(origin,
              Failures.classify(error, Phase.BODY, hostKey, seen.get()).error(),
              System.nanoTime()));
          return;
        }
        byte[] text = bytes.toArray();
        if (text.length > max) text = completeLines(text, (int) max);
        SimpleRobotRules rules = parse(origin, text,
            contentType.equals("none/none") ? null : contentType);
        finish(rules(origin, rules, System.nanoTime()));
      });
    }

    private void finish(Entry entry) {
      if (!result.complete(entry)) return;
      Cancellable t = timer;
      if (t != null) t.cancel();
      UniqueKillSwitch s = body;
      if (s != null) s.abort(new CancellationException("robots.txt fetch finished"));
    }

    /** A failed request in words: refused or not connected in time, else as it came. */
    private String failure(Throwable error, String hostKey) {
      var connecting = Failures.classify(error, Phase.CONNECT, hostKey, 0);
      if (connecting.kind() == ErrorKind.REFUSED || connecting.kind() == ErrorKind.DNS
          || connecting.kind() == ErrorKind.TIMEOUT_CONNECT
          || connecting.kind() == ErrorKind.TLS) {
        return connecting.error();
      }
      return Failures.classify(error, Phase.HEADERS, hostKey, 0).error();
    }
  }

  /**
   * The first {@code max} bytes without the line the cut went through: a rule cut short
   * ("Disallow: /pri" of "Disallow: /private-notes") would say something the file does not.
   */
  static byte[] completeLines(byte[] text, int max) {
    int end = max;
    while (end > 0 && text[end - 1] != '\n' && text[end - 1] != '\r') end--;
    return Arrays.copyOf(text, end);
  }
}
