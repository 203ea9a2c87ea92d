package io.fetchrunner.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.HostSettings;
import io.fetchrunner.Secrets;
import io.fetchrunner.Settings;
import io.fetchrunner.fetch.HostForms;
import io.fetchrunner.fetch.TargetPolicy;
import io.fetchrunner.job.FetchPolicy;
import io.fetchrunner.job.JobRequest;
import io.fetchrunner.job.PerHost;
import io.fetchrunner.job.Thresholds;
import io.fetchrunner.job.Notify;
import io.fetchrunner.job.UrlRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.http.javadsl.model.Uri;

/**
 * Turns a submission (JSON or one URL per line) into a {@link JobRequest}, or refuses it with
 * a {@link Problem} naming the first offending field. Either the whole job is valid or
 * nothing is accepted.
 */
public final class JobRequestParser {
  private static final Set<String> FIELDS = Set.of("urls", "name", "concurrency", "timeoutMs",
      "retries", "maxRedirects", "maxBodyBytes", "sha256", "headers", "notify", "thresholds",
      "conditional", "perHost", "failFast", "robots");
  private static final Set<String> PER_HOST_FIELDS = Set.of("concurrency", "ratePerSecond",
      "minDelayMs", "groupBy");
  /** The longest minDelayMs a job may ask for (an hour). */
  static final long MAX_MIN_DELAY_MS = 3_600_000;
  /** The highest ratePerSecond a job may ask for. */
  static final double MAX_RATE = 100_000;
  /** The options of a text submission, as query parameters. */
  static final Set<String> QUERY_PARAMETERS = Set.of("name", "concurrency", "timeoutMs",
      "retries", "maxRedirects", "maxBodyBytes", "sha256", "conditional");
  private static final Set<String> URL_FIELDS = Set.of("url", "method", "headers", "body");
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST");
  /** Set by the HTTP client itself; a request that tried to set them would be ambiguous. */
  private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length",
      "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer",
      "proxy-connection");
  private static final java.util.regex.Pattern TOKEN =
      java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private final Settings settings;
  private final TargetPolicy targets;

  public JobRequestParser(Settings settings, TargetPolicy targets) {
    this.settings = settings;
    this.targets = targets;
  }

  /** Options shared by the JSON and the text forms, as given (null when absent). */
  private record Options(String name, Long concurrency, Long timeoutMs, Long retries,
      Long maxRedirects, Long maxBodyBytes, Boolean sha256, Map<String, String> headers) {}

  public JobRequest fromJson(String body) {
    return fromJson(Json.readRequest(withoutByteOrderMark(body)));
  }

  /** A job from a JSON object already read (a schedule's job). */
  public JobRequest fromJson(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw Problem.badRequest("body", "expected a JSON object with a \"urls\" array");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw Problem.badRequest(f, "unknown field \"" + f + "\"; expected " + FIELDS);
      }
    }
    JsonNode urlsNode = root.get("urls");
    if (urlsNode == null || urlsNode.isNull()) {
      throw Problem.badRequest("urls", "\"urls\" is required: a non-empty array of URLs");
    }
    if (!urlsNode.isArray()) throw Problem.badRequest("urls", "\"urls\" must be an array");
    checkCount(urlsNode.size());
    List<String> urls = new ArrayList<>(urlsNode.size());
    Map<Integer, UrlRequest> requests = new HashMap<>();
    for (int i = 0; i < urlsNode.size(); i++) {
      JsonNode u = urlsNode.get(i);
      String field = "urls[" + i + "]";
      if (u.isTextual()) {
        urls.add(checkUrl(u.asText(), field));
      } else if (u.isObject()) {
        urls.add(urlObject(u, field, i, requests));
      } else {
        throw Problem.badRequest(field, field + " must be a URL string or an object with \"url\"");
      }
    }
    String name = null;
    JsonNode nameNode = root.get("name");
    if (nameNode != null && !nameNode.isNull()) {
      if (!nameNode.isTextual()) throw Problem.badRequest("name", "\"name\" must be a string");
      name = nameNode.asText();
    }
    Boolean sha256 = null;
    JsonNode shaNode = root.get("sha256");
    if (shaNode != null && !shaNode.isNull()) {
      if (!shaNode.isBoolean()) throw Problem.badRequest("sha256", "\"sha256\" must be true or false");
      sha256 = shaNode.asBoolean();
    }
    var options = new Options(name, integer(root.get("concurrency"), "concurrency"),
        integer(root.get("timeoutMs"), "timeoutMs"), integer(root.get("retries"), "retries"),
        integer(root.get("maxRedirects"), "maxRedirects"),
        integer(root.get("maxBodyBytes"), "maxBodyBytes"), sha256,
        headers(root.get("headers"), "headers"));
    JobRequest job = build(options, urls, requests);
    job = job.withPolicy(job.policy().withPoliteness(perHost(root.get("perHost")),
        bool(root.get("failFast"), "failFast"), robots(root.get("robots"))));
    Notify webhook = webhook(root.get("notify"));
    Thresholds thresholds = thresholds(root.get("thresholds"));
    JobRequest full = webhook == null && thresholds == null ? job : new JobRequest(job.name(),
        job.urls(), job.concurrency(), job.timeoutMs(), job.policy(), job.requests(), webhook,
        null, thresholds);
    JsonNode conditional = root.get("conditional");
    if (conditional == null || conditional.isNull()) return full;
    if (!conditional.isBoolean()) {
      throw Problem.badRequest("conditional", "\"conditional\" must be true or false");
    }
    return full.withConditional(conditional.asBoolean());
  }

  /**
   * {"p50LatencyMs"?, "p95LatencyMs"?, "p99LatencyMs"?, "wallMs"?: integers >= 0,
   * "failureRate"?: 0 to 1, "speedupAtLeast"?: > 0}, at least one.
   */
  private static Thresholds thresholds(JsonNode node) {
    if (node == null || node.isNull()) return null;
    if (!node.isObject() || node.isEmpty()) {
      throw Problem.badRequest("thresholds", "\"thresholds\" must be an object with one or"
          + " more of " + Thresholds.NAMES);
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!Thresholds.NAMES.contains(f)) {
        throw Problem.badRequest("thresholds." + f, "unknown threshold \"" + f
            + "\"; expected one or more of " + Thresholds.NAMES);
      }
    }
    return new Thresholds(millis(node, "p50LatencyMs"), millis(node, "p95LatencyMs"),
        millis(node, "p99LatencyMs"), fraction(node, "failureRate", 0, 1, true),
        millis(node, "wallMs"), fraction(node, "speedupAtLeast", 0, Double.MAX_VALUE, false));
  }

  private static Long millis(JsonNode thresholds, String name) {
    String field = "thresholds." + name;
    Long value = integer(thresholds.get(name), field);
    if (value != null && value < 0) {
      throw Problem.badRequest(field, "\"" + field + "\" must be a number of milliseconds >= 0");
    }
    return value;
  }

  private static Double fraction(JsonNode thresholds, String name, double min, double max,
      boolean minIncluded) {
    String field = "thresholds." + name;
    JsonNode node = thresholds.get(name);
    if (node == null || node.isNull()) return null;
    double value = node.isNumber() ? node.asDouble() : Double.NaN;
    if (Double.isNaN(value) || value > max || value < min || (!minIncluded && value == min)) {
      throw Problem.badRequest(field, "\"" + field + "\" must be a number "
          + (max == Double.MAX_VALUE ? "> " + (long) min
              : "from " + (long) min + " to " + (long) max));
    }
    return value;
  }

  /** {"url": "...", "events"?: ["done", "failed-url"]} (events: ["done"] when absent). */
  private Notify webhook(JsonNode node) {
    if (node == null || node.isNull()) return null;
    if (!node.isObject()) {
      throw Problem.badRequest("notify", "\"notify\" must be an object with \"url\"");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("url") && !f.equals("events")) {
        throw Problem.badRequest("notify." + f, "unknown field \"" + f
            + "\" in notify; expected [url, events]");
      }
    }
    if (!settings.webhooks().enabled()) {
      throw Problem.badRequest("notify", "this service sends no webhooks: it has no signing"
          + " secret (fetchrunner.notify.secret, FETCHRUNNER_NOTIFY_SECRET)");
    }
    JsonNode url = node.get("url");
    if (url == null || !url.isTextual()) {
      throw Problem.badRequest("notify.url", "notify.url must be a URL string");
    }
    List<String> events = List.of(Notify.DONE);
    JsonNode given = node.get("events");
    if (given != null && !given.isNull()) {
      if (!given.isArray() || given.isEmpty()) {
        throw Problem.badRequest("notify.events", "notify.events must be a non-empty array of "
            + new TreeSet<>(Notify.EVENTS));
      }
      Set<String> seen = new LinkedHashSet<>();
      for (JsonNode e : given) {
        if (!e.isTextual() || !Notify.EVENTS.contains(e.asText())) {
          throw Problem.badRequest("notify.events", "notify.events may hold only "
              + new TreeSet<>(Notify.EVENTS) + ", not " + e);
        }
        seen.add(e.asText());
      }
      events = List.copyOf(seen);
    }
    return new Notify(checkUrl(url.asText(), "notify.url"), events);
  }

  /** {"url": ..., "method"?: GET|HEAD|POST, "headers"?: {...}, "body"?: "..."} */
  private String urlObject(JsonNode u, String field, int index, Map<Integer, UrlRequest> out) {
    for (Iterator<String> it = u.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!URL_FIELDS.contains(f)) {
        throw Problem.badRequest(field + "." + f,
            "unknown field \"" + f + "\" in " + field + "; expected " + URL_FIELDS);
      }
    }
    JsonNode urlNode = u.get("url");
    if (urlNode == null || !urlNode.isTextual()) {
      throw Problem.badRequest(field + ".url", field + ".url must be a URL string");
    }
    String url = checkUrl(urlNode.asText(), field + ".url");
    String method = "GET";
    JsonNode m = u.get("method");
    if (m != null && !m.isNull()) {
      if (!m.isTextual() || !METHODS.contains(m.asText().toUpperCase(Locale.ROOT))) {
        throw Problem.badRequest(field + ".method", field + ".method must be one of " + METHODS);
      }
      method = m.asText().toUpperCase(Locale.ROOT);
    }
    Map<String, String> headers = headers(u.get("headers"), field + ".headers");
    String body = null;
    JsonNode b = u.get("body");
    if (b != null && !b.isNull()) {
      if (!b.isTextual()) throw Problem.badRequest(field + ".body", field + ".body must be a string");
      if (!method.equals("POST")) {
        throw Problem.badRequest(field + ".body", field + ".body is only sent with POST");
      }
      body = b.asText();
    }
    if (!method.equals("GET") || !headers.isEmpty()) {
      out.put(index, new UrlRequest(method, headers, body));
    }
    return url;
  }

  private static Map<String, String> headers(JsonNode node, String field) {
    if (node == null || node.isNull()) return Map.of();
    if (!node.isObject()) {
      throw Problem.badRequest(field, field + " must be an object of header names to values");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      var e = it.next();
      String name = e.getKey();
      String f = field + "." + name;
      if (!TOKEN.matcher(name).matches()) throw Problem.badRequest(f, "not a valid header name");
      if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw Problem.badRequest(f, name + " is set by the HTTP client and cannot be given");
      }
      if (!e.getValue().isTextual()) throw Problem.badRequest(f, f + " must be a string");
      String value = e.getValue().asText();
      if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
        throw Problem.badRequest(f, f + " must not contain line breaks");
      }
      out.put(name, value);
    }
    return out;
  }

  /**
   * One URL per line; blank lines and lines starting with '#' are skipped. {@code query}: the
   * options, checked by {@link QueryParameters} against {@link #QUERY_PARAMETERS}.
   */
  public JobRequest fromText(String body, Map<String, String> query) {
    List<String> urls = new ArrayList<>();
    String[] lines = withoutByteOrderMark(body).split("\r?\n", -1);
    int lineNo = 0;
    for (String line : lines) {
      lineNo++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) continue;
      if (urls.size() == settings.jobs().maxUrlsPerJob()) checkCount(urls.size() + 1);
      urls.add(checkUrl(t, "line " + lineNo));
    }
    checkCount(urls.size());
    Boolean sha256 = null;
    if (query.containsKey("sha256")) {
      String v = query.get("sha256");
      if (!v.equals("true") && !v.equals("false")) {
        throw Problem.badRequest("sha256", "\"sha256\" must be true or false");
      }
      sha256 = Boolean.valueOf(v);
    }
    var options = new Options(query.get("name"), number(query.get("concurrency"), "concurrency"),
        number(query.get("timeoutMs"), "timeoutMs"), number(query.get("retries"), "retries"),
        number(query.get("maxRedirects"), "maxRedirects"),
        number(query.get("maxBodyBytes"), "maxBodyBytes"), sha256, Map.of());
    JobRequest job = build(options, urls, Map.of());
    String conditional = query.get("conditional");
    if (conditional == null) return job;
    if (!conditional.equals("true") && !conditional.equals("false")) {
      throw Problem.badRequest("conditional", "\"conditional\" must be true or false");
    }
    return job.withConditional(conditional.equals("true"));
  }

  private JobRequest build(Options o, List<String> urls, Map<Integer, UrlRequest> requests) {
    var jobs = settings.jobs();
    var fetch = settings.fetch();
    String name = o.name();
    Long concurrency = o.concurrency();
    Long timeoutMs = o.timeoutMs();
    if (name != null && name.length() > jobs.maxNameLength()) {
      throw Problem.badRequest("name",
          "\"name\" is longer than " + jobs.maxNameLength() + " characters");
    }
    if (name == null || name.isBlank()) name = defaultName(urls);
    int c = jobs.defaultConcurrency();
    if (concurrency != null) {
      if (concurrency < 1 || concurrency > jobs.maxConcurrency()) {
        throw Problem.badRequest("concurrency",
            "\"concurrency\" must be between 1 and " + jobs.maxConcurrency());
      }
      c = concurrency.intValue();
    }
    long maxTimeout = settings.fetch().maxTimeout().toMillis();
    long t = settings.fetch().defaultTimeout().toMillis();
    if (timeoutMs != null) {
      if (timeoutMs < 1 || timeoutMs > maxTimeout) {
        throw Problem.badRequest("timeoutMs",
            "\"timeoutMs\" must be between 1 and " + maxTimeout);
      }
      t = timeoutMs;
    }
    int retries = (int) within(o.retries(), "retries", 0, fetch.maxRetries(), fetch.retries());
    int maxRedirects = (int) within(o.maxRedirects(), "maxRedirects", 0,
        fetch.maxRedirectsLimit(), fetch.maxRedirects());
    long maxBodyBytes = within(o.maxBodyBytes(), "maxBodyBytes", 0, fetch.maxBodyBytesLimit(),
        fetch.maxBodyBytes());
    var policy = new FetchPolicy(retries, maxRedirects, maxBodyBytes,
        Boolean.TRUE.equals(o.sha256()), o.headers());
    return new JobRequest(name, List.copyOf(urls), c, t, policy, requests);
  }

  private static long within(Long value, String field, long min, long max, long dflt) {
    if (value == null) return dflt;
    if (value < min || value > max) {
      throw Problem.badRequest(field, "\"" + field + "\" must be between " + min + " and " + max);
    }
    return value;
  }

  private void checkCount(int n) {
    if (n == 0) throw Problem.badRequest("urls", "the job has no URLs");
    int max = settings.jobs().maxUrlsPerJob();
    if (n > max) {
      throw Problem.badRequest("urls",
          "the job has more than " + max + " URLs (fetchrunner.jobs.max-urls-per-job)");
    }
  }

  /**
   * The URL, stripped, or a refusal naming the field. A refusal quotes the URL with everything
   * before its last '@' hidden ({@link Secrets#refusedUrl}): a URL refused for a malformed
   * user or password may have them anywhere.
   */
  private String checkUrl(String raw, String field) {
    String url = raw.strip();
    if (url.length() > settings.jobs().maxUrlLength()) {
      throw Problem.badRequest(field, field + " is longer than "
          + settings.jobs().maxUrlLength() + " characters");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw Problem.badRequest(field,
          field + " is not a valid URL: " + hidden(e.getMessage(), url));
    }
    String scheme = uri.getScheme();
    if (scheme == null) {
      throw Problem.badRequest(field, field + " is not an absolute URL: " + quote(url));
    }
    if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
      throw Problem.badRequest(field,
          field + " has scheme \"" + scheme + "\"; only http and https are fetched");
    }
    Uri parsed = null; // as the HTTP client will read it
    RuntimeException invalid = null;
    try {
      parsed = Uri.create(url);
    } catch (RuntimeException e) {
      invalid = e;
    }
    // Before the host check below: URI finds no host in 127.1 or 0x7f.1.
    var ambiguous = parsed == null ? Optional.<String>empty()
        : HostForms.ambiguity(parsed.host().address());
    if (ambiguous.isPresent()) {
      throw Problem.badRequest(field, field + " has a host that parsers read as different"
          + " addresses, in " + quote(url) + ": " + ambiguous.get());
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw Problem.badRequest(field, field + " has no host: " + quote(url));
    }
    if (invalid != null) {
      throw Problem.badRequest(field,
          field + " is not a valid URL: " + hidden(invalid.getMessage(), url));
    }
    var denied = targets.checkName(uri.getHost());
    if (denied.isPresent()) {
      throw Problem.badRequest(field, field + " is a denied target: " + denied.get()
          + " (fetchrunner.fetch.targets)");
    }
    return url;
  }

  /**
   * {"concurrency"?: 1..per-host-concurrency, "ratePerSecond"?: > 0, "minDelayMs"?: 0..1 h,
   * "groupBy"?: "host" | "domain"}; null when absent.
   */
  private PerHost perHost(JsonNode node) {
    if (node == null || node.isNull()) return null;
    if (!node.isObject()) {
      throw Problem.badRequest("perHost", "\"perHost\" must be an object with any of "
          + PER_HOST_FIELDS);
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!PER_HOST_FIELDS.contains(f)) {
        throw Problem.badRequest("perHost." + f, "unknown field \"perHost." + f
            + "\"; expected " + PER_HOST_FIELDS);
      }
    }
    int maxConcurrency = settings.fetch().perHostConcurrency();
    Long concurrency = integer(node.get("concurrency"), "perHost.concurrency");
    if (concurrency != null && (concurrency < 1 || concurrency > maxConcurrency)) {
      throw Problem.badRequest("perHost.concurrency", "\"perHost.concurrency\" must be between"
          + " 1 and " + maxConcurrency + " (fetchrunner.fetch.per-host-concurrency)");
    }
    Double rate = null;
    JsonNode rateNode = node.get("ratePerSecond");
    if (rateNode != null && !rateNode.isNull()) {
      if (!rateNode.isNumber() || !(rateNode.asDouble() > 0)
          || rateNode.asDouble() > MAX_RATE) {
        throw Problem.badRequest("perHost.ratePerSecond",
            "\"perHost.ratePerSecond\" must be a number above 0 and at most "
                + (long) MAX_RATE + " (0.5: one request every 2 s)");
      }
      rate = rateNode.asDouble();
    }
    Long minDelayMs = integer(node.get("minDelayMs"), "perHost.minDelayMs");
    if (minDelayMs != null && (minDelayMs < 0 || minDelayMs > MAX_MIN_DELAY_MS)) {
      throw Problem.badRequest("perHost.minDelayMs",
          "\"perHost.minDelayMs\" must be between 0 and " + MAX_MIN_DELAY_MS);
    }
    String groupBy = null;
    JsonNode groupNode = node.get("groupBy");
    if (groupNode != null && !groupNode.isNull()) {
      if (!groupNode.isTextual() || !HostSettings.GROUPS.contains(groupNode.asText())) {
        throw Problem.badRequest("perHost.groupBy",
            "\"perHost.groupBy\" must be \"host\" or \"domain\"");
      }
      groupBy = groupNode.asText();
    }
    return new PerHost(concurrency == null ? null : concurrency.intValue(), rate, minDelayMs,
        groupBy);
  }

  /** "robots": "obey" (true) or "ignore" (null: the default). */
  private static Boolean robots(JsonNode node) {
    if (node == null || node.isNull()) return null;
    if (!node.isTextual() || !(node.asText().equals("obey") || node.asText().equals("ignore"))) {
      throw Problem.badRequest("robots", "\"robots\" must be \"obey\" or \"ignore\"");
    }
    return node.asText().equals("obey") ? Boolean.TRUE : null;
  }

  private static Boolean bool(JsonNode node, String field) {
    if (node == null || node.isNull()) return null;
    if (!node.isBoolean()) {
      throw Problem.badRequest(field, "\"" + field + "\" must be true or false");
    }
    return node.asBoolean();
  }

  private static Long integer(JsonNode node, String field) {
    if (node == null || node.isNull()) return null;
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw Problem.badRequest(field, "\"" + field + "\" must be an integer");
    }
    return node.asLong();
  }

  private static Long number(String value, String field) {
    if (value == null) return null;
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw Problem.badRequest(field, "\"" + field + "\" must be an integer");
    }
  }

  /** A UTF-8 byte-order mark (U+FEFF first) says how the body is encoded; it is not content. */
  private static String withoutByteOrderMark(String body) {
    return body.startsWith("\uFEFF") ? body.substring(1) : body;
  }

  private static String defaultName(List<String> urls) {
    String host = URI.create(urls.get(0)).getHost();
    return urls.size() == 1 ? host : host + " +" + (urls.size() - 1);
  }

  /** A refused URL, quoted and cut at 100 characters, its credentials hidden. */
  private static String quote(String url) {
    String s = Secrets.refusedUrl(url);
    return "\"" + (s.length() > 100 ? s.substring(0, 100) + "..." : s) + "\"";
  }

  /** A parser's message about {@code url} (which may quote it) with its credentials hidden. */
  private static String hidden(String message, String url) {
    return String.valueOf(message).replace(url, Secrets.refusedUrl(url));
  }
}
