package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The service's API as the command-line client calls it (the JDK's HTTP client: the CLI starts
 * no actor system). Every failure becomes a {@link CliException} with exit status 3 and a
 * sentence that says whether the server could not be reached or refused, and why.
 */
final class ServerClient {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

  private final URI base;
  private final String token;
  private final HttpClient http;

  ServerClient(String server, String token) {
    this.base = parseServer(server);
    this.token = token == null || token.isBlank() ? null : token.strip();
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** {@code --server}: http or https, a host, maybe a port and a path prefix; nothing else. */
  static URI parseServer(String server) {
    URI uri;
    try {
      uri = URI.create(server.strip());
    } catch (IllegalArgumentException e) {
      throw CliException.usage("--server: not a URL: " + server);
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
        || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw CliException.usage("--server must be an http:// or https:// URL such as "
          + "http://127.0.0.1:8080, not " + server);
    }
    String text = uri.toString();
    return URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
  }

  String server() {
    return base.toString();
  }

  /** A JSON answer to GET. */
  JsonNode getJson(String pathAndQuery) {
    return json(call(request(pathAndQuery).GET().timeout(CALL_TIMEOUT).build()));
  }

  /** A JSON answer to DELETE. */
  JsonNode delete(String path) {
    return json(call(request(path).DELETE().timeout(CALL_TIMEOUT).build()));
  }

  /** A JSON answer to POST of a JSON body, with extra request headers. */
  JsonNode postJson(String path, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b = request(path)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json")
        .timeout(CALL_TIMEOUT);
    headers.forEach(b::header);
    return json(call(b.build()));
  }

  /** A streamed 2xx answer (an export, an event stream); the caller closes the body. */
  HttpResponse<InputStream> stream(String pathAndQuery, Map<String, String> headers) {
    HttpRequest.Builder b = request(pathAndQuery).GET();
    headers.forEach(b::header);
    HttpResponse<InputStream> response = send(b.build());
    if (response.statusCode() / 100 != 2) {
      byte[] body;
      try (InputStream in = response.body()) {
        body = in.readNBytes(64 * 1024);
      } catch (IOException e) {
        body = new byte[0];
      }
      throw refused(response.statusCode(), body);
    }
    return response;
  }

  private HttpRequest.Builder request(String pathAndQuery) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
        .header("Accept", "application/json, text/event-stream, */*");
    if (token != null) b.header("Authorization", "Bearer " + token);
    return b;
  }

  private byte[] call(HttpRequest request) {
    HttpResponse<InputStream> response = send(request);
    byte[] body;
    try (InputStream in = response.body()) {
      body = in.readAllBytes();
    } catch (IOException e) {
      throw CliException.server("the connection to " + base + " broke while reading its answer: "
          + describe(e));
    }
    if (response.statusCode() / 100 != 2) throw refused(response.statusCode(), body);
    return body;
  }

  private HttpResponse<InputStream> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliException.server("interrupted while calling " + base);
    }
  }

  /** The exception for a server that does not answer at all. */
  CliException unreachable(Exception e) {
    return CliException.unavailable("cannot reach the fetchrunner server at " + base + ": "
        + describe(e) + " (is it running? set the address with --server or FETCHRUNNER_URL)");
  }

  static String describe(Throwable e) {
    if (e instanceof ConnectException) return "connection refused";
    if (e instanceof HttpConnectTimeoutException) return "no connection within 10 s";
    if (e instanceof HttpTimeoutException) return "no answer within " + CALL_TIMEOUT.toSeconds() + " s";
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof UnresolvedAddressException) return "the host name does not resolve";
      if (c instanceof ConnectException) return "connection refused";
    }
    String message = e.getMessage();
    if (message != null && message.contains("received no bytes")) {
      return "the connection closed without an answer";
    }
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  /** The exception for a non-2xx answer: its status and what the problem body says. */
  private CliException refused(int status, byte[] body) {
    String title = null;
    String detail = null;
    String field = null;
    try {
      JsonNode problem = JsonMapper.get().readTree(body);
      if (problem != null && problem.isObject()) {
        title = text(problem, "title");
        detail = text(problem, "detail");
        field = text(problem, "field");
      }
    } catch (IOException e) {
      // not a problem body: say the status alone
    }
    StringBuilder m = new StringBuilder("the server refused: ").append(status);
    if (title != null) m.append(' ').append(title);
    if (detail != null) m.append(": ").append(detail);
    if (field != null) m.append(" (field ").append(field).append(')');
    if (status == 401) {
      m.append(token == null
          ? "; give the service's token with --token or FETCHRUNNER_API_TOKEN"
          : "; check --token or FETCHRUNNER_API_TOKEN");
    }
    return status == 503 ? CliException.unavailable(m.toString())
        : CliException.server(m.toString());
  }

  private static JsonNode json(byte[] body) {
    try {
      return JsonMapper.get().readTree(body);
    } catch (IOException e) {
      throw CliException.server("the server's answer is not JSON: "
          + new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8));
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
