package io.fetchrunner.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.Settings;
import io.fetchrunner.job.JobRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.Uri;

/**
 * Turns a submission (JSON or one URL per line) into a {@link JobRequest}, or refuses it with
 * a {@link Problem} naming the first offending field. Either the whole job is valid or
 * nothing is accepted.
 */
public final class JobRequestParser {
  private static final Set<String> FIELDS = Set.of("urls", "name", "concurrency", "timeoutMs");

  private final Settings settings;

  public JobRequestParser(Settings settings) {
    this.settings = settings;
  }

  public JobRequest fromJson(String body) {
    JsonNode root;
    try {
      root = Json.mapper().readTree(body);
    } catch (JsonProcessingException e) {
      throw Problem.badRequest("body", "malformed JSON: " + e.getOriginalMessage());
    }
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
    for (int i = 0; i < urlsNode.size(); i++) {
      JsonNode u = urlsNode.get(i);
      String field = "urls[" + i + "]";
      if (!u.isTextual()) throw Problem.badRequest(field, field + " must be a string");
      urls.add(checkUrl(u.asText(), field));
    }
    String name = null;
    JsonNode nameNode = root.get("name");
    if (nameNode != null && !nameNode.isNull()) {
      if (!nameNode.isTextual()) throw Problem.badRequest("name", "\"name\" must be a string");
      name = nameNode.asText();
    }
    Long concurrency = integer(root.get("concurrency"), "concurrency");
    Long timeoutMs = integer(root.get("timeoutMs"), "timeoutMs");
    return build(name, urls, concurrency, timeoutMs);
  }

  /** One URL per line; blank lines and lines starting with '#' are skipped. */
  public JobRequest fromText(String body, Map<String, String> query) {
    for (String key : query.keySet()) {
      if (!Set.of("name", "concurrency", "timeoutMs").contains(key)) {
        throw Problem.badRequest(key,
            "unknown query parameter \"" + key + "\"; expected name, concurrency, timeoutMs");
      }
    }
    List<String> urls = new ArrayList<>();
    String[] lines = body.split("\r?\n", -1);
    int lineNo = 0;
    for (String line : lines) {
      lineNo++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) continue;
      if (urls.size() == settings.jobs().maxUrlsPerJob()) checkCount(urls.size() + 1);
      urls.add(checkUrl(t, "line " + lineNo));
    }
    checkCount(urls.size());
    return build(query.get("name"), urls, number(query.get("concurrency"), "concurrency"),
        number(query.get("timeoutMs"), "timeoutMs"));
  }

  private JobRequest build(String name, List<String> urls, Long concurrency, Long timeoutMs) {
    var jobs = settings.jobs();
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
    return new JobRequest(name, List.copyOf(urls), c, t);
  }

  private void checkCount(int n) {
    if (n == 0) throw Problem.badRequest("urls", "the job has no URLs");
    int max = settings.jobs().maxUrlsPerJob();
    if (n > max) {
      throw Problem.badRequest("urls",
          "the job has more than " + max + " URLs (fetchrunner.jobs.max-urls-per-job)");
    }
  }

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
      throw Problem.badRequest(field, field + " is not a valid URL: " + e.getMessage());
    }
    String scheme = uri.getScheme();
    if (scheme == null) {
      throw Problem.badRequest(field, field + " is not an absolute URL: " + quote(url));
    }
    if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
      throw Problem.badRequest(field,
          field + " has scheme \"" + scheme + "\"; only http and https are fetched");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw Problem.badRequest(field, field + " has no host: " + quote(url));
    }
    try {
      Uri.create(url); // what the HTTP client will parse
    } catch (RuntimeException e) {
      throw Problem.badRequest(field, field + " is not a valid URL: " + e.getMessage());
    }
    return url;
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

  private static String defaultName(List<String> urls) {
    String host = URI.create(urls.get(0)).getHost();
    return urls.size() == 1 ? host : host + " +" + (urls.size() - 1);
  }

  private static String quote(String s) {
    return "\"" + (s.length() > 100 ? s.substring(0, 100) + "..." : s) + "\"";
  }
}
