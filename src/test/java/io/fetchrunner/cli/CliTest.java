package io.fetchrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.JsonMapper;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.TargetServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line client as a user runs it: a real service process, the client in processes
 * of its own (not a terminal: plain progress lines), real exit statuses and signals.
 */
class CliTest {
  private static final Pattern JOB_ID = Pattern.compile(
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  @TempDir static Path dir;
  static TargetServer target;
  static ChildService service;
  static String server;

  @BeforeAll
  static void start() {
    target = new TargetServer();
    service = ChildService.start(dir.resolve("data"));
    server = "http://127.0.0.1:" + service.port();
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    if (target != null) target.close();
  }

  /** What one run of the client printed, and how it ended. */
  record Run(int status, String out, String err) {
    String both() {
      return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  @Test
  void submitWithWatchPrintsProgressAndSummaryAndExits1WhenAUrlFails() throws IOException {
    List<String> urls = new ArrayList<>(List.of("# a comment", ""));
    IntStream.range(0, 12).forEach(i -> urls.add(target.url("/delay/300?watch=" + i)));
    urls.add(target.url("/status/404?watch"));
    Path file = dir.resolve("watch.txt");
    Files.write(file, urls);

    Run run = cli(null, "submit", file.toString(), "--watch", "--name", "cli watch",
        "--concurrency", "3", "--retries", "0", "--interval", "100ms", "--server", server);

    assertEquals(1, run.status(), run.both());
    assertTrue(run.err().contains("submitted job "), run.both());
    List<String> progress = run.err().lines().filter(l -> l.startsWith("progress ")).toList();
    assertTrue(progress.size() >= 2, "progress lines while it ran: " + run.both());
    assertTrue(progress.get(progress.size() - 1).startsWith("progress 13/13 done (100%): 12 ok, 1 failed"),
        run.both());
    assertTrue(progress.stream().anyMatch(l -> !l.contains("13/13")), run.both());
    String out = run.out();
    assertTrue(out.contains("\"cli watch\": COMPLETED"), run.both());
    assertTrue(out.contains("13 URLs: 12 succeeded, 1 failed, 0 cancelled, 0 pending"), run.both());
    assertTrue(out.matches("(?s).*speedup \\d+\\.\\d\\dx.*"), run.both());
    assertTrue(out.matches("(?s).*latency p50 [\\d,]+ ms, p95 [\\d,]+ ms, max [\\d,]+ ms \\(13 URLs fetched\\).*"),
        run.both());
    assertTrue(out.contains("http-status      1  e.g. " + target.url("/status/404?watch")
        + ": HTTP 404 Not Found"), run.both());
    // Each URL was fetched once.
    assertEquals(1, target.hits("/delay/300?watch=0"));
  }

  @Test
  void submitFromStandardInputWithJsonAllSucceedExits0() {
    String urls = target.url("/delay/10?stdin=1") + "\n" + target.url("/delay/10?stdin=2") + "\n";
    Run run = cli(urls, "submit", "-", "--watch", "--json", "--header", "X-Cli: yes",
        "--timeout", "5s", "--server", server);
    assertEquals(0, run.status(), run.both());
    JsonNode answer = json(run.out());
    assertEquals("COMPLETED", answer.path("job").path("state").asText());
    assertEquals(2, answer.path("job").path("succeeded").asInt());
    assertEquals(2, answer.path("latencyMs").path("urls").asInt());
    assertTrue(answer.path("failuresByKind").isEmpty());

    Run echo = cli(target.url("/echo") + "\n", "submit", "-", "--watch", "--progress", "none",
        "--header", "X-Cli: yes", "--server", server);
    assertEquals(0, echo.status(), echo.both());
    assertEquals("yes", target.lastRequest("/echo").headers().get("x-cli"));
  }

  @Test
  void everyCommandAgainstARealService() throws Exception {
    Path file = dir.resolve("plain.txt");
    Files.write(file, List.of(target.url("/delay/20?plain=a"), target.url("/status/503?plain"),
        target.url("/delay/20?plain=b")));

    // submit without --watch: the id on stdout, the next step on stderr.
    Run submitted = cli(null, "submit", file.toString(), "--name", "cli plain", "--retries", "0",
        "--idempotency-key", "cli-key-1", "--server", server);
    assertEquals(0, submitted.status(), submitted.both());
    String id = submitted.out().strip();
    assertTrue(JOB_ID.matcher(id).matches(), submitted.both());
    assertTrue(submitted.err().contains("watch " + id), submitted.both());
    Run again = cli(null, "submit", file.toString(), "--name", "cli plain", "--retries", "0",
        "--idempotency-key", "cli-key-1", "--server", server);
    assertEquals(id, again.out().strip(), "the same key gives the same job: " + again.both());

    Run watched = cli(null, "watch", id, "--server", server);
    assertEquals(1, watched.status(), watched.both());
    assertTrue(watched.out().contains("3 URLs: 2 succeeded, 1 failed"), watched.both());
    assertTrue(watched.out().contains("http-status"), watched.both());

    Run shown = cli(null, "show", id, "--server", server);
    assertEquals(1, shown.status(), "a job with a failed URL: " + shown.both());
    assertTrue(shown.out().contains("job " + id + " \"cli plain\": COMPLETED"), shown.both());
    assertTrue(shown.out().contains("3 URLs: 2 succeeded, 1 failed"), shown.both());
    Run shownJson = cli(null, "show", id.toUpperCase(), "--json", "--server", server);
    assertEquals(id, json(shownJson.out()).path("id").asText(), shownJson.both());

    // The history trails the journal a little: list until the job is there.
    Run listed = eventually(() -> cli(null, "list", "--name", "CLI PLAIN", "--since", "1h",
        "--server", server), r -> r.out().contains(id));
    assertEquals(0, listed.status(), listed.both());
    assertTrue(listed.out().startsWith("ID "), listed.both());
    assertTrue(listed.out().lines().anyMatch(l -> l.startsWith(id) && l.contains("COMPLETED")
        && l.endsWith("cli plain")), listed.both());
    Run listedJson = cli(null, "list", "--name", "cli plain", "--state", "completed", "--all",
        "--json", "--server", server);
    assertEquals(1, json(listedJson.out()).path("jobs").size(), listedJson.both());

    Run csv = eventually(() -> cli(null, "results", id, "--format", "csv", "--server", server),
        r -> r.status() == 0);
    List<String> rows = csv.out().lines().toList();
    assertTrue(rows.get(0).startsWith("index,url,state,httpStatus"), csv.both());
    assertEquals(4, rows.size(), csv.both());
    Run ndjson = cli(null, "results", id, "--json", "--server", server);
    assertEquals(3, ndjson.out().lines().map(CliTest::json)
        .filter(r -> r.has("url")).count(), ndjson.both());

    Run stats = cli(null, "stats", "--name", "cli plain", "--server", server);
    assertEquals(0, stats.status(), stats.both());
    assertTrue(stats.out().contains("jobs 1: 0 running, 1 completed, 0 cancelled"), stats.both());
    assertTrue(stats.out().contains("URLs 3: 2 succeeded, 1 failed"), stats.both());
    assertTrue(stats.out().contains("slowest hosts:"), stats.both());
    Run statsJson = cli(null, "stats", "--name", "cli plain", "--json", "--server", server);
    assertEquals(3, json(statsJson.out()).path("urls").path("total").asInt(), statsJson.both());

    // cancel: a slow job is cancelled; a finished one is refused (exit 3, saying why).
    Files.write(file, List.of(target.url("/delay/30000?cancel=1"), target.url("/delay/30000?cancel=2")));
    String slow = cli(null, "submit", file.toString(), "--server", server).out().strip();
    Run cancelled = cli(null, "cancel", slow, "--server", server);
    assertEquals(0, cancelled.status(), cancelled.both());
    assertTrue(cancelled.out().contains("cancelled job " + slow), cancelled.both());
    assertTrue(cancelled.out().contains("2 cancelled"), cancelled.both());
    Run refused = cli(null, "cancel", slow, "--server", server);
    assertEquals(3, refused.status(), refused.both());
    assertTrue(refused.err().contains("the server refused: 409"), refused.both());
    Run watchCancelled = cli(null, "watch", slow, "--server", server);
    assertEquals(1, watchCancelled.status(), "cancelled URLs did not succeed: " + watchCancelled.both());
  }

  @Test
  void submitSendsThePerHostOptionsAndHostsListsAHostHeldBack() {
    // A target of its own: the 429 below holds its host back.
    try (TargetServer own = new TargetServer()) {
      String urls = own.url("/flaky/1/429?cli-hosts") + "\n" + own.url("/delay/0?cli-hosts")
          + "\n";
      Run run = cli(urls, "submit", "-", "--watch", "--per-host-concurrency", "1", "--rate",
          "20", "--min-delay", "10ms", "--group-by", "domain", "--robots", "ignore",
          "--no-fail-fast", "--retries", "1", "--server", server);
      assertEquals(0, run.status(), run.both());
      assertEquals(1, own.peakInFlight(), "--per-host-concurrency 1");
      Run hosts = cli(null, "hosts", "--server", server);
      assertEquals(0, hosts.status(), hosts.both());
      assertTrue(hosts.out().contains("127.0.0.1:" + own.port() + ": "), hosts.both());
      assertTrue(hosts.out().contains("HTTP 429"), hosts.both());
      Run json = cli(null, "hosts", "--json", "--server", server);
      assertTrue(json(json.out()).path("hosts").isArray(), json.both());
      // The options reach the server: a bad one is its 400, naming the field.
      Run bad = cli(urls, "submit", "-", "--group-by", "tld", "--server", server);
      assertEquals(3, bad.status(), bad.both());
      assertTrue(bad.err().contains("perHost.groupBy"), bad.both());
    }
  }

  @Test
  void badArgumentsExit2AndSayWhy() throws IOException {
    Path empty = dir.resolve("empty.txt");
    Files.write(empty, List.of("# nothing but a comment", "  "));
    Path one = dir.resolve("one.txt");
    Files.write(one, List.of(target.url("/delay/1?bad")));
    String[][] cases = {
        {"submit", "--no-such-option", one.toString()},
        {"submit"},
        {"submit", dir.resolve("missing.txt").toString()},
        {"submit", empty.toString()},
        {"submit", one.toString(), "--timeout", "soon"},
        {"submit", one.toString(), "--concurrency", "many"},
        {"submit", one.toString(), "--header", "no colon"},
        {"submit", one.toString(), "--server", "ftp://127.0.0.1:8080"},
        {"watch", "not-a-job-id"},
        {"list", "--since", "last week"},
        {"list", "--state", "DONE"},
        {"results", "505aa865-294d-41a7-acae-38d6253c2f03", "--format", "xml"},
        {"frobnicate"},
        {},
    };
    String[] says = {"--no-such-option", "FILE", "no such file", "holds no URL", "soon",
        "many", "--header", "--server", "not a job id", "last week", "DONE", "xml",
        "frobnicate", "give a command"};
    for (int i = 0; i < cases.length; i++) {
      String[] args = cases[i];
      if (args.length == 0) continue; // the jar with no command is the service
      Run run = cli(null, args);
      assertEquals(2, run.status(), String.join(" ", args) + ": " + run.both());
      assertTrue(run.err().contains(says[i]), String.join(" ", args) + ": " + run.both());
      assertFalse(run.err().contains("Exception"), run.both());
    }
    Run help = cli(null, "--help");
    assertEquals(0, help.status(), help.both());
    assertTrue(help.out().contains("submit") && help.out().contains("Exit status"), help.both());
  }

  @Test
  void unreachableOrRefusingServerExits3SayingWhich() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Run unreachable = cli(null, "show", "505aa865-294d-41a7-acae-38d6253c2f03",
        "--server", "http://127.0.0.1:" + closed);
    assertEquals(3, unreachable.status(), unreachable.both());
    assertTrue(unreachable.err().contains("cannot reach the fetchrunner server at http://127.0.0.1:"
        + closed + ": connection refused"), unreachable.both());

    Run unknown = cli(null, "show", "505aa865-294d-41a7-acae-38d6253c2f03", "--server", server);
    assertEquals(3, unknown.status(), unknown.both());
    assertTrue(unknown.err().contains("the server refused: 404"), unknown.both());

    Run badUrl = cli("not a url\n", "submit", "-", "--server", server);
    assertEquals(3, badUrl.status(), badUrl.both());
    assertTrue(badUrl.err().contains("the server refused: 400") && badUrl.err().contains("urls[0]"),
        badUrl.both());
  }

  @Test
  void wrongOrMissingTokenExits3() {
    try (ChildService guarded = ChildService.start(dir.resolve("guarded"),
        "-Dfetchrunner.http.api-token=cli-secret-token")) {
      String at = "http://127.0.0.1:" + guarded.port();
      Run none = cli(null, "list", "--server", at);
      assertEquals(3, none.status(), none.both());
      assertTrue(none.err().contains("401") && none.err().contains("--token"), none.both());
      Run wrong = cli(null, "list", "--server", at, "--token", "nope");
      assertEquals(3, wrong.status(), wrong.both());
      Run right = cliWithEnv("cli-secret-token", null, "list", "--server", at);
      assertEquals(0, right.status(), "the token from FETCHRUNNER_API_TOKEN: " + right.both());
    }
  }

  @Test
  void ctrlCExits130AndTheJobGoesOn() throws Exception {
    Path file = dir.resolve("interrupt.txt");
    Files.write(file, List.of(target.url("/delay/4000?interrupt=1"),
        target.url("/delay/4000?interrupt=2")));
    Process p = process(null, "submit", file.toString(), "--watch", "--server", server);
    String id = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (id == null && System.nanoTime() < deadline) {
      Matcher m = Pattern.compile("submitted job (" + JOB_ID.pattern() + ")")
          .matcher(read(errFile(p)));
      if (m.find()) id = m.group(1);
      else Thread.sleep(50);
    }
    assertTrue(id != null, "the client said which job: " + read(errFile(p)));
    new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String err = read(errFile(p));
    assertEquals(130, p.exitValue(), err);
    assertTrue(err.contains("job " + id + " keeps running on the server"), err);
    assertTrue(err.contains(" watch " + id), err);
    // The job went on: following it again sees it through.
    Run resumed = cli(null, "watch", id, "--server", server);
    assertEquals(0, resumed.status(), resumed.both());
    assertTrue(resumed.out().contains("2 URLs: 2 succeeded"), resumed.both());
  }

  @Test
  void watchReconnectsAcrossAServiceRestartAndCountsEachResultOnce() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path data = dir.resolve("restart");
    String at = "http://127.0.0.1:" + port;
    ChildService first = ChildService.start(data, "-Dfetchrunner.http.port=" + port);
    ChildService second = null;
    try {
      Path file = dir.resolve("restart.txt");
      List<String> urls = IntStream.range(0, 40)
          .mapToObj(i -> target.url("/delay/250?restart=" + i)).toList();
      Files.write(file, urls);
      Process p = process(null, "submit", file.toString(), "--watch", "--concurrency", "4",
          "--interval", "100ms", "--reconnect-for", "90s", "--server", at);
      // Kill the service once some results have arrived; restart it on the same port.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!read(errFile(p)).contains(" ok, ") || read(errFile(p)).contains("progress 0/")
          && !Pattern.compile("progress [1-9]").matcher(read(errFile(p))).find()) {
        assertTrue(System.nanoTime() < deadline, read(errFile(p)));
        Thread.sleep(50);
      }
      first.kill();
      second = ChildService.start(data, "-Dfetchrunner.http.port=" + port);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), read(errFile(p)));
      String out = read(outFile(p));
      String err = read(errFile(p));
      assertEquals(0, p.exitValue(), out + err);
      assertTrue(err.contains("reconnecting to " + at), err);
      assertTrue(out.contains("40 URLs: 40 succeeded, 0 failed"), out + err);
      assertTrue(out.contains("(40 URLs fetched)"), "each result counted once: " + out + err);
    } finally {
      first.close();
      if (second != null) second.close();
    }
  }

  // --- running the client -------------------------------------------------------------

  private static Run cli(String stdin, String... args) {
    return cliWithEnv(null, stdin, args);
  }

  private static Run cliWithEnv(String token, String stdin, String... args) {
    try {
      Process p = launch(token, stdin, args);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("the client did not end: " + read(errFile(p)));
      }
      return new Run(p.exitValue(), read(outFile(p)), read(errFile(p)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Process process(String stdin, String... args) throws IOException {
    return launch(null, stdin, args);
  }

  private static int runs;

  /** {@code java ... io.fetchrunner.Main ARGS}, as {@code java -jar fetchrunner.jar ARGS} runs. */
  private static synchronized Process launch(String token, String stdin, String[] args)
      throws IOException {
    Path run = dir.resolve("run-" + (++runs));
    Files.createDirectories(run);
    List<String> cmd = new ArrayList<>();
    // Ctrl-C as in a terminal: a test run started in the background (nohup, `cmd &`) has
    // SIGINT ignored, which children inherit, and a JVM that starts with SIGINT ignored never
    // handles it. GNU env puts the default back before the client starts.
    if (ENV_RESETS_SIGINT) cmd.addAll(List.of("env", "--default-signal=INT"));
    cmd.addAll(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.fetchrunner.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(cmd)
        .redirectOutput(run.resolve("out").toFile())
        .redirectError(run.resolve("err").toFile());
    b.environment().remove("FETCHRUNNER_URL");
    b.environment().remove("FETCHRUNNER_API_TOKEN");
    if (token != null) b.environment().put("FETCHRUNNER_API_TOKEN", token);
    if (stdin != null) {
      Path in = run.resolve("in");
      Files.writeString(in, stdin);
      b.redirectInput(in.toFile());
    }
    Process p = b.start();
    OUTPUTS.put(p, run);
    return p;
  }

  private static final boolean ENV_RESETS_SIGINT = envResetsSigint();

  private static boolean envResetsSigint() {
    try {
      Process p = new ProcessBuilder("env", "--default-signal=INT", "true")
          .redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static final Map<Process, Path> OUTPUTS = new ConcurrentHashMap<>();

  private static Path outFile(Process p) {
    return OUTPUTS.get(p).resolve("out");
  }

  private static Path errFile(Process p) {
    return OUTPUTS.get(p).resolve("err");
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static JsonNode json(String text) {
    try {
      return JsonMapper.get().readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  private static Run eventually(Supplier<Run> run,
      Predicate<Run> until) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Run last = run.get();
    while (!until.test(last) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      last = run.get();
    }
    return last;
  }
}
