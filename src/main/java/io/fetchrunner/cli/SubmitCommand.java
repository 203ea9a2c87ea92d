package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code submit FILE|-}: one URL per line becomes a job; {@code --watch} follows it. */
@Command(name = "submit", header = "Submit a job from a file of URLs (--watch: follow it).",
    description = {
    "Submit a job: the URLs of FILE (or of standard input with -), one per line;",
    "blank lines and lines starting with # are skipped. Prints the job's id;",
    "with --watch follows it to the end (exit 0 when every URL succeeded, 1 if not)."})
final class SubmitCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Mixin ServerOptions server;
  @Mixin WatchOptions watchOptions;

  @Parameters(paramLabel = "FILE|-", description = "The URL list, or - for standard input.")
  String file;

  @Option(names = "--name", description = "A label for the history (default: the first URL's host).")
  String name;

  @Option(names = "--concurrency", paramLabel = "N", description = "URLs of the job in flight at once.")
  Integer concurrency;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class,
      description = "Per attempt, e.g. 30s or 1500ms.")
  Duration timeout;

  @Option(names = "--retries", paramLabel = "N", description = "Extra attempts after a retryable failure.")
  Integer retries;

  @Option(names = "--header", paramLabel = "'NAME: VALUE'",
      description = "A header sent with every request of the job (repeatable).")
  List<String> headers = new ArrayList<>();

  @Option(names = "--idempotency-key", paramLabel = "KEY",
      description = "Submitting again with the same key gives the same job, not a second one.")
  String idempotencyKey;

  @Option(names = "--per-host-concurrency", paramLabel = "N",
      description = "The job's requests in flight to one host at most.")
  Integer perHostConcurrency;

  @Option(names = "--rate", paramLabel = "R",
      description = "The job's requests a second to one host at most (0.5: one every 2 s).")
  Double rate;

  @Option(names = "--min-delay", paramLabel = "DURATION", converter = Durations.class,
      description = "Between two of the job's requests to one host at least, e.g. 500ms.")
  Duration minDelay;

  @Option(names = "--group-by", paramLabel = "host|domain",
      description = "What one host is for the per-host limits: host:port (default) or the"
          + " registrable domain.")
  String groupBy;

  @Option(names = "--robots", paramLabel = "obey|ignore",
      description = "obey: skip what each site's robots.txt disallows, keep its Crawl-delay.")
  String robots;

  @Option(names = "--no-fail-fast", negatable = false,
      description = "Try every URL of a host found unavailable (default: they fail at once).")
  boolean noFailFast;

  @Option(names = "--watch", description = "Follow the job to its end (see the watch command).")
  boolean watch;

  @Override
  public Integer call() {
    List<String> urls = readUrls();
    ServerClient client = server.client();
    ObjectNode body = JsonMapper.get().createObjectNode();
    body.putPOJO("urls", urls);
    if (name != null) body.put("name", name);
    if (concurrency != null) body.put("concurrency", concurrency);
    if (timeout != null) body.put("timeoutMs", timeout.toMillis());
    if (retries != null) body.put("retries", retries);
    if (!headers.isEmpty()) {
      ObjectNode h = body.putObject("headers");
      parseHeaders().forEach(h::put);
    }
    if (perHostConcurrency != null || rate != null || minDelay != null || groupBy != null) {
      ObjectNode perHost = body.putObject("perHost");
      if (perHostConcurrency != null) perHost.put("concurrency", perHostConcurrency);
      if (rate != null) perHost.put("ratePerSecond", rate);
      if (minDelay != null) perHost.put("minDelayMs", minDelay.toMillis());
      if (groupBy != null) perHost.put("groupBy", groupBy);
    }
    if (robots != null) body.put("robots", robots);
    if (noFailFast) body.put("failFast", false);
    Map<String, String> requestHeaders = new LinkedHashMap<>();
    if (idempotencyKey != null) requestHeaders.put("Idempotency-Key", idempotencyKey);
    byte[] json;
    try {
      json = JsonMapper.get().writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    JsonNode job = client.postJson("/jobs", json, requestHeaders);
    String id = job.path("id").asText();
    if (!watch) {
      if (server.json) {
        cli.out.println(job);
      } else {
        cli.out.println(id);
        cli.err.println("submitted " + Format.jobLine(job) + ", " + job.path("total").asLong()
            + " URLs; follow it with: " + Cli.commandName() + " watch " + id);
      }
      return ExitCodes.OK;
    }
    cli.err.println("submitted " + Format.jobLine(job) + ", " + job.path("total").asLong()
        + " URLs");
    return WatchCommand.follow(cli, server, watchOptions, client, id);
  }

  /** The URLs of the file: one per line, no blank lines, no # comments. */
  private List<String> readUrls() {
    List<String> urls = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(open(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String url = line.strip();
        if (url.startsWith("\uFEFF")) url = url.substring(1).strip();
        if (url.isEmpty() || url.startsWith("#")) continue;
        urls.add(url);
      }
    } catch (NoSuchFileException e) {
      throw CliException.usage("no such file: " + file);
    } catch (IOException e) {
      throw CliException.usage("cannot read " + file + ": " + e.getMessage());
    }
    if (urls.isEmpty()) {
      throw CliException.usage(("-".equals(file) ? "standard input" : file)
          + " holds no URL (one per line; blank lines and # comments are skipped)");
    }
    return urls;
  }

  private InputStream open() throws IOException {
    return "-".equals(file) ? System.in : Files.newInputStream(Path.of(file));
  }

  /** {@code --header 'Name: value'} into a map; a malformed one is a usage error. */
  private Map<String, String> parseHeaders() {
    Map<String, String> parsed = new LinkedHashMap<>();
    for (String header : headers) {
      int colon = header.indexOf(':');
      if (colon <= 0 || header.substring(0, colon).isBlank()) {
        throw CliException.usage("--header must be 'Name: value', not '" + header + "'");
      }
      parsed.put(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
    }
    return parsed;
  }
}
