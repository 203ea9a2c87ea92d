import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * fetchrunner benchmark driver (run by bench/run.sh). Starts the real service jar on a fresh
 * data directory, submits each workload through the HTTP API to the target server on
 * 127.0.0.1, polls until done, and prints one line per workload: the job's wallMs, the
 * client-observed time from POST to completion, the ideal, their ratio, URLs/s, and the
 * service's peak RSS and peak heap in use. Figures are the median of the runs.
 *
 * Usage: BenchDriver <targetPort> [runs] [workloads, e.g. W1,W2,W3,W4,W5,S,P,R]
 */
public class BenchDriver {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();
  static int targetPort;
  static String base;
  static long servicePid;

  /**
   * {@code cpuUsPerUrl}: the service's CPU time (user + system, all threads) from the POST
   * until the job is done and the read side has applied all of it, per URL, for jobs of
   * 10,000 URLs or more. It varies less with the shared machine's other load than wall times
   * do. {@code gcMs}: the service's time in garbage collection over the same span (jstat's
   * GCT), printed with it. {@code journalPerS}: the events the job stored in the journal (the
   * read side's offset before the POST and after it has applied the job: orderings are
   * consecutive while the service runs) per second of the job's wall time, for the same jobs:
   * what one node asks of the store. {@code storeCpuUsPerUrl}: on PostgreSQL, the CPU time
   * of every process named postgres on this machine (the server's, all its sessions) over
   * the same span as cpuUsPerUrl, per URL: what the database spent on the job's journal
   * writes and the read side's (H2's share is inside cpuUsPerUrl).
   */
  record Result(String name, double jobWallMs, double clientMs, double idealMs, double urlsPerS,
      double rssMiB, double heapMiB, double cpuUsPerUrl, double gcMs, double journalPerS,
      double storeCpuUsPerUrl, String note) {
    Result(String name, double jobWallMs, double clientMs, double idealMs, double urlsPerS,
        double rssMiB, double heapMiB, String note) {
      this(name, jobWallMs, clientMs, idealMs, urlsPerS, rssMiB, heapMiB, Double.NaN,
          Double.NaN, Double.NaN, Double.NaN, note);
    }
  }

  public static void main(String[] args) throws Exception {
    targetPort = Integer.parseInt(args[0]);
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<String> which = args.length > 2 ? Arrays.asList(args[2].split(","))
        : List.of("W1", "W2", "W3", "W4", "W5", "S", "P", "R");
    Path data = Files.createTempDirectory("fetchrunner-bench");
    Process service = startService(data);
    try {
      warmUp();
      for (String w : which) {
        List<Result> results = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
          results.add(switch (w) {
            case "W1" -> withPeers(run, "W1", 3, 2000, 0, 3);
            case "W2" -> withPeers(run, "W2", 1000, 1000, 0, 1000);
            case "W3" -> withPeers(run, "W3", 10_000, 2000, 0, 10_000);
            case "W4" -> withPeers(run, "W4", 20_000, 0, 1024, 256);
            case "W5" -> manyJobs();
            case "S" -> submitLatency();
            case "P" -> pollingCost(run);
            case "R" -> {
              service = restartWithLargeJob(service, data);
              yield lastRestart;
            }
            default -> throw new IllegalArgumentException("unknown workload " + w);
          });
        }
        if (runs > 1) {
          for (int run = 0; run < runs; run++) {
            System.out.printf("    run %d: jobWallMs=%s clientMs=%s urls/s=%s%s%s%n", run + 1,
                f(results.get(run).jobWallMs()), f(results.get(run).clientMs()),
                f(results.get(run).urlsPerS()),
                Double.isNaN(results.get(run).cpuUsPerUrl()) ? ""
                    : " cpuUs/url=" + f(results.get(run).cpuUsPerUrl())
                        + " gcMs=" + f(results.get(run).gcMs())
                        + " journalEvents/s=" + f(results.get(run).journalPerS())
                        + storeCpu(results.get(run).storeCpuUsPerUrl()),
                w.equals("W5") || w.equals("S") || w.equals("P")
                    ? "  (" + results.get(run).note() + ")" : "");
          }
        }
        print(median(results), runs);
        printPeers(median(results), runs);
        if (w.equals("P")) {
          double[] ratios = POLLING.stream().mapToDouble(r -> r[2]).sorted().toArray();
          System.out.printf("P   W4 polled / W4 alone, URLs/s: median ratio %.3f (runs: %s)%n",
              ratios[ratios.length / 2], POLLING.stream()
                  .map(r -> String.format("%.3f", r[2])).collect(Collectors.joining(", ")));
        }
      }
    } finally {
      service.destroy();
      service.waitFor();
      try (var files = Files.walk(data)) { // the H2 file, if any
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  // ---- the service ----

  static Process startService(Path data) throws Exception {
    // As the README starts it: java @conf/jvm.options -jar, the packaged configuration; only
    // the port and the data directory are the benchmark's. (Record 11, 2026-12-05: the JVM's
    // defaults; records 4 to 9: -Xmx512m -XX:+UseParallelGC, retries 0, a 60 s ask timeout.)
    // BENCH_JVM_ARGS: options added after the file's (later ones win), e.g. a flight
    // recording or "-XX:+UseG1GC" for a comparison.
    List<String> cmd = new ArrayList<>(List.of("java", "@conf/jvm.options"));
    String extra = System.getenv().getOrDefault("BENCH_JVM_ARGS", "");
    if (!extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
    cmd.addAll(List.of(
        "-Dfetchrunner.http.port=0",
        "-Dfetchrunner.data-dir=" + data,
        "-jar", "target/fetchrunner.jar"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
    Pattern listening = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
    String line;
    while ((line = out.readLine()) != null) {
      Matcher m = listening.matcher(line);
      if (m.find()) {
        base = "http://127.0.0.1:" + m.group(1);
        System.out.println("service: " + line.substring(line.indexOf("fetchrunner listening")));
        break;
      }
    }
    if (base == null) throw new IllegalStateException("service did not start");
    // The service's output goes to target/bench-service.log (appended), for when a run fails.
    var log = new java.io.PrintWriter(new java.io.FileWriter("target/bench-service.log", true),
        true);
    Thread drain = new Thread(() -> out.lines().forEach(log::println));
    drain.setDaemon(true);
    drain.start();
    servicePid = p.pid();
    Sampler.follow(servicePid);
    while (get("/health").statusCode() != 200) Thread.sleep(100);
    return p;
  }

  // ---- workloads ----

  /**
   * Untimed jobs before the measured ones, so the figures are those of a warmed-up service
   * (JIT-compiled paths, pools and connections set up), as a long-running service runs.
   */
  static void warmUp() throws Exception {
    long t0 = System.nanoTime();
    // Enough work for the JIT to settle: with 12,000 URLs, W4 ran at 4,355 URLs/s as the
    // first workload and 7,151 after W1 to W3 (2026-11-29).
    oneJob("warm-up", 20_000, 0, 1024, 256);
    oneJob("warm-up", 2_000, 20, 0, 1_000);
    oneJob("warm-up", 20_000, 0, 1024, 256);
    oneJob("warm-up", 20_000, 0, 1024, 256);
    System.out.printf("warm-up: 62,000 URLs in %.1f s (not measured)%n",
        (System.nanoTime() - t0) / 1e9);
  }

  static Result oneJob(String name, int n, int delayMs, int size, int concurrency)
      throws Exception {
    String body = IntStream.range(0, n)
        .mapToObj(i -> "http://127.0.0.1:" + targetPort + "/delay/" + delayMs + "?"
            + (size > 0 ? "size=" + size + "&" : "") + "i=" + i + "&r=" + System.nanoTime())
        .collect(Collectors.joining("\n"));
    Sampler sampler = Sampler.start();
    long cpu0 = cpuMs();
    long storeCpu0 = postgresCpuMs();
    double gc0 = Sampler.gcSecondsNow;
    long offset0 = readSideOffset();
    long t0 = System.nanoTime();
    // retries=0: a benchmark URL that fails is a failed run (check), not a slower one.
    JsonNode accepted = post("/jobs?concurrency=" + concurrency + "&retries=0&name=" + name,
        body);
    String jobId = accepted.get("id").asText();
    Thread poller = pollDuring ? poll(jobId) : null;
    JsonNode job = awaitDone(jobId);
    double clientMs = (System.nanoTime() - t0) / 1e6;
    if (poller != null) {
      poller.interrupt();
      poller.join();
    }
    sampler.stop();
    awaitReadSide();
    // Per URL only where the URLs' own work dominates: in a job of a few URLs that wait
    // seconds, the figure would be the service's idle CPU divided by a handful.
    double cpuUsPerUrl = n >= 10_000 ? (cpuMs() - cpu0) * 1000.0 / n : Double.NaN;
    double storeCpuUsPerUrl = n >= 10_000 && POSTGRES
        ? (postgresCpuMs() - storeCpu0) * 1000.0 / n : Double.NaN;
    long events = readSideOffset() - offset0;
    Thread.sleep(150); // one more jstat sample
    double gcMs = (Sampler.gcSecondsNow - gc0) * 1000;
    check(job, n);
    double wall = job.get("wallMs").asDouble();
    double ideal = idealOf(n, delayMs, concurrency);
    double journalPerS = n >= 10_000 ? events / (wall / 1000.0) : Double.NaN;
    return new Result(name, wall, clientMs, ideal, n / (wall / 1000.0), sampler.rssMiB(),
        sampler.heapMiB(), cpuUsPerUrl, gcMs, journalPerS, storeCpuUsPerUrl, "");
  }

  /**
   * P: while true, a second client polls the running job's summary, 5 ms after each answer
   * (GET /jobs/{id}?results=false on one keep-alive connection).
   */
  static volatile boolean pollDuring;
  static final List<double[]> POLLING = new ArrayList<>();

  static Thread poll(String id) {
    lastPolls = 0;
    Thread t = new Thread(() -> {
      long polls = 0;
      try {
        while (!Thread.currentThread().isInterrupted()) {
          get("/jobs/" + id + "?results=false");
          lastPolls = ++polls;
          Thread.sleep(5);
        }
      } catch (InterruptedException | IllegalStateException stopped) {
        // the job is done: the driver stopped polling (maybe in the middle of a request)
      }
    }, "poller");
    t.start();
    return t;
  }

  static volatile long lastPolls;

  /**
   * P: W4 alone and W4 while its summary is polled every 5 ms (one keep-alive client), in
   * alternating order; the URLs/s of each and their ratio.
   */
  static Result pollingCost(int run) throws Exception {
    Result alone;
    Result polled;
    if (run % 2 == 0) {
      alone = oneJob("W4", 20_000, 0, 1024, 256);
      pollDuring = true;
      polled = oneJob("W4", 20_000, 0, 1024, 256);
      pollDuring = false;
    } else {
      pollDuring = true;
      polled = oneJob("W4", 20_000, 0, 1024, 256);
      pollDuring = false;
      alone = oneJob("W4", 20_000, 0, 1024, 256);
    }
    double ratio = polled.urlsPerS() / alone.urlsPerS();
    POLLING.add(new double[] {alone.urlsPerS(), polled.urlsPerS(), ratio});
    return new Result("P", polled.jobWallMs(), polled.clientMs(), Double.NaN, polled.urlsPerS(),
        polled.rssMiB(), polled.heapMiB(), String.format(
            "W4 alone %.0f URLs/s, polled every 5 ms (%d polls) %.0f URLs/s: %.3f", 
            alone.urlsPerS(), lastPolls, polled.urlsPerS(), ratio));
  }

  static Result manyJobs() throws Exception {
    Sampler sampler = Sampler.start();
    List<CompletableFuture<JsonNode>> posts = new ArrayList<>();
    long tag = System.nanoTime();
    // One thread per POST, released together: the 100 submissions really are at once.
    var senders = java.util.concurrent.Executors.newFixedThreadPool(100);
    var go = new java.util.concurrent.CountDownLatch(1);
    long[] firstSent = {0};
    try {
      for (int j = 0; j < 100; j++) {
        int job = j;
        String body = IntStream.range(0, 100)
            .mapToObj(i -> "http://127.0.0.1:" + targetPort + "/delay/50?j=" + job + "&i=" + i
                + "&r=" + tag)
            .collect(Collectors.joining("\n"));
        posts.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          return post("/jobs?concurrency=100", body);
        }, senders));
      }
      Thread.sleep(200); // every sender waits at the latch
      firstSent[0] = System.nanoTime();
      go.countDown();
      List<String> ids = posts.stream().map(CompletableFuture::join)
          .map(j -> j.get("id").asText()).toList();
      long lastPost = System.nanoTime();
      for (String id : ids) check(awaitDone(id), 100);
      double afterLastPost = (System.nanoTime() - lastPost) / 1e6;
      double posting = (lastPost - firstSent[0]) / 1e6;
      sampler.stop();
      return new Result("W5", Double.NaN, afterLastPost, 50, 10_000 / (afterLastPost / 1000),
          sampler.rssMiB(), sampler.heapMiB(), String.format("clientMs = last POST answered"
              + " to all done; the 100 POSTs, sent together, took %.0f ms to answer", posting));
    } finally {
      senders.shutdownNow();
    }
  }

  /**
   * The POST of a 10,000-URL job until its 202, at concurrency 256 and at 10,000 (where the
   * job starts 10,000 workers right after accepting it); clientMs is the slower of the two.
   */
  static Result submitLatency() throws Exception {
    double slowest = 0;
    StringBuilder note = new StringBuilder();
    for (int concurrency : new int[] {256, 10_000}) {
      String body = IntStream.range(0, 10_000)
          .mapToObj(i -> "http://127.0.0.1:" + targetPort + "/delay/"
              + (concurrency > 256 ? 1000 : 0) + "?s=" + i + "&r=" + System.nanoTime())
          .collect(Collectors.joining("\n"));
      long t0 = System.nanoTime();
      JsonNode accepted = post("/jobs?concurrency=" + concurrency, body);
      double ms = (System.nanoTime() - t0) / 1e6;
      check(awaitDone(accepted.get("id").asText()), 10_000);
      slowest = Math.max(slowest, ms);
      note.append(note.length() == 0 ? "" : ", ").append("concurrency ").append(concurrency)
          .append(": ").append(f(ms)).append(" ms");
    }
    return new Result("S", Double.NaN, slowest, Double.NaN, Double.NaN, Double.NaN,
        Double.NaN, note.toString());
  }

  static Result lastRestart;

  static Process restartWithLargeJob(Process service, Path data) throws Exception {
    String body = IntStream.range(0, 100_000)
        .mapToObj(i -> "http://127.0.0.1:" + targetPort + "/delay/0?big=" + i + "&r="
            + System.nanoTime())
        .collect(Collectors.joining("\n"));
    String id = post("/jobs?concurrency=256", body).get("id").asText();
    check(awaitDone(id), 100_000);
    service.destroy();
    service.waitFor();
    base = null;
    Process again = startService(data);
    long t0 = System.nanoTime();
    HttpResponse<String> r = get("/jobs/" + id + "?results=false");
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.statusCode() != 200) throw new IllegalStateException("R: " + r.body());
    lastRestart = new Result("R", Double.NaN, ms, Double.NaN, Double.NaN, Double.NaN,
        Double.NaN, "clientMs = service ready to GET /jobs/{id} of a 100,000-result job");
    return again;
  }

  // ---- reference clients (bench/peers/, BENCH_PEERS) ----

  /** A workload's URLs for the reference clients (one per line), concurrency and ideal. */
  record Workload(String urls, int concurrency, double idealMs) {}

  static Workload lastUrls;

  static double idealOf(int n, int delayMs, int concurrency) {
    return Math.ceil((double) n / concurrency) * delayMs;
  }

  /** What a reference client printed: wall_ms, cpu_ms, rss_mib, ok, failed. */
  record PeerResult(double wallMs, double cpuMs, double rssMiB, int ok, int failed) {}

  /** The reference clients to run beside fetchrunner, from BENCH_PEERS (go,aiohttp,pekko). */
  static final List<String> PEERS = Arrays.stream(
          System.getenv().getOrDefault("BENCH_PEERS", "").split(","))
      .map(String::strip).filter(p -> !p.isEmpty()).toList();

  /** Per workload and peer, the runs' results. */
  static final Map<String, Map<String, List<PeerResult>>> PEER_RESULTS =
      new java.util.LinkedHashMap<>();

  /**
   * Runs the workload on fetchrunner and, on the same URLs and target, on each reference
   * client: fetchrunner first in even runs, last in odd ones, so that neither side always
   * goes first while the machine's other load drifts.
   */
  static Result withPeers(int run, String name, int n, int delayMs, int size, int concurrency)
      throws Exception {
    lastUrls = new Workload(IntStream.range(0, n)
        .mapToObj(i -> "http://127.0.0.1:" + targetPort + "/delay/" + delayMs + "?"
            + (size > 0 ? "size=" + size + "&" : "") + "i=" + i + "&peer=" + run)
        .collect(Collectors.joining("\n")), concurrency, idealOf(n, delayMs, concurrency));
    if (PEERS.isEmpty()) return oneJob(name, n, delayMs, size, concurrency);
    if (run % 2 == 1) runPeers(name);
    Result r = oneJob(name, n, delayMs, size, concurrency);
    if (run % 2 == 0) runPeers(name);
    return r;
  }

  static void runPeers(String workload) throws Exception {
    Path file = Path.of("target/bench-urls.txt");
    Files.writeString(file, lastUrls.urls());
    for (String peer : PEERS) {
      List<String> cmd = switch (peer) {
        case "go" -> List.of("target/peer-go", file.toString(),
            String.valueOf(lastUrls.concurrency()));
        case "aiohttp" -> List.of("/usr/bin/python3", "bench/peers/fetch_aiohttp.py",
            file.toString(), String.valueOf(lastUrls.concurrency()));
        case "pekko" -> List.of("java", "-cp", System.getProperty("java.class.path"),
            "bench/peers/PekkoPeer.java", file.toString(),
            String.valueOf(lastUrls.concurrency()));
        default -> throw new IllegalArgumentException("unknown peer " + peer
            + " (go, aiohttp, pekko)");
      };
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException(peer + " failed: " + out);
      }
      Matcher m = Pattern.compile("wall_ms=([\\d.]+) cpu_ms=([\\d.]+) rss_mib=([\\d.]+)"
          + " ok=(\\d+) failed=(\\d+)").matcher(out);
      if (!m.find()) throw new IllegalStateException(peer + " printed: " + out);
      PeerResult pr = new PeerResult(Double.parseDouble(m.group(1)),
          Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
          Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)));
      if (pr.failed() > 0) throw new IllegalStateException(peer + " had failures: " + out);
      PEER_RESULTS.computeIfAbsent(workload, w -> new java.util.LinkedHashMap<>())
          .computeIfAbsent(peer, x -> new ArrayList<>()).add(pr);
      System.out.printf("    %s %s: wallMs=%.0f urls/s=%.0f cpuUs/url=%s peakRssMiB=%.0f%n",
          workload, peer, pr.wallMs(), pr.ok() / (pr.wallMs() / 1000),
          pr.ok() >= 10_000 ? String.format("%.1f", pr.cpuMs() * 1000 / pr.ok()) : "-",
          pr.rssMiB());
    }
  }

  /** The peers' medians beside fetchrunner's, and the ratios the bars are set on. */
  static void printPeers(Result fr, int runs) {
    Map<String, List<PeerResult>> byPeer = PEER_RESULTS.get(fr.name());
    if (byPeer == null) return;
    for (var e : byPeer.entrySet()) {
      List<PeerResult> rs = e.getValue();
      double wall = rs.stream().mapToDouble(PeerResult::wallMs).sorted().toArray()[rs.size() / 2];
      double cpu = rs.stream().mapToDouble(PeerResult::cpuMs).sorted().toArray()[rs.size() / 2];
      double rss = rs.stream().mapToDouble(PeerResult::rssMiB).sorted().toArray()[rs.size() / 2];
      int n = rs.get(0).ok();
      double peerRate = n / (wall / 1000);
      System.out.printf("%-3s %-7s wallMs=%.0f wall/ideal=%s urls/s=%.0f cpuUs/url=%s"
              + " peakRssMiB=%.0f (median of %d) | fetchrunner: wall %.2fx, urls/s %.2fx%s%n",
          fr.name(), e.getKey(), wall,
          lastUrls.idealMs() > 0 ? String.format("%.2f", wall / lastUrls.idealMs()) : "-",
          peerRate, n >= 10_000 ? String.format("%.1f", cpu * 1000 / n) : "-", rss, rs.size(),
          fr.jobWallMs() / wall,
          fr.urlsPerS() / peerRate,
          Double.isNaN(fr.cpuUsPerUrl()) ? ""
              : String.format(", CPU/URL %.2fx", fr.cpuUsPerUrl() / (cpu * 1000 / n)));
    }
  }

  // ---- helpers ----

  static void check(JsonNode job, int n) throws Exception {
    if (!job.get("state").asText().equals("COMPLETED") || job.get("succeeded").asInt() != n) {
      JsonNode full = JSON.readTree(get("/jobs/" + job.get("id").asText()).body());
      Map<String, Long> errors = new java.util.TreeMap<>();
      full.get("results").forEach(r -> {
        if (!r.get("error").isNull()) {
          errors.merge(r.get("error").asText().replaceAll("\\d+", "N"), 1L, Long::sum);
        }
      });
      throw new IllegalStateException("job did not succeed fully: " + job + "\nerrors: "
          + errors);
    }
  }

  static JsonNode awaitDone(String id) throws Exception {
    long deadline = System.nanoTime() + 600_000_000_000L; // 10 minutes: bounded
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = get("/jobs/" + id + "?results=false");
      if (r.statusCode() != 200) throw new IllegalStateException("job " + id + ": " + r.body());
      JsonNode job = JSON.readTree(r.body());
      if (!job.get("state").asText().equals("RUNNING")) return job;
      Thread.sleep(20);
    }
    throw new IllegalStateException("job " + id + " not done after 10 minutes");
  }

  /** Waits (up to 2 minutes) until the read side has applied every job event. */
  static void awaitReadSide() throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (JSON.readTree(get("/admin/read-side").body()).get("behind").asLong() > 0) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("read side stuck");
      Thread.sleep(20);
    }
  }

  /** The journal ordering the read side has read to (GET /admin/read-side). */
  static long readSideOffset() throws Exception {
    return JSON.readTree(get("/admin/read-side").body()).get("offset").asLong();
  }

  static final boolean POSTGRES = System.getenv().getOrDefault("FETCHRUNNER_STORE_URL", "")
      .startsWith("jdbc:postgresql:");

  /**
   * CPU time so far (user + system) of every process named postgres on this machine: the
   * server's share of a workload when the service's store is a PostgreSQL server here (and
   * nobody else's database is busy on it). A session that ended takes its time with it; the
   * service's pools keep theirs open.
   */
  static long postgresCpuMs() {
    long ticks = 0;
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) continue;
        try {
          String stat = Files.readString(p.resolve("stat"));
          if (!stat.contains("(postgres)")) continue;
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
          // the process ended meanwhile
        }
      }
    } catch (Exception e) {
      return 0;
    }
    return ticks * 10;
  }

  static String storeCpu(double usPerUrl) {
    return Double.isNaN(usPerUrl) ? "" : " postgresCpuUs/url=" + f(usPerUrl);
  }

  /** The service's CPU time so far (user + system), from /proc (10 ms resolution). */
  static long cpuMs() throws Exception {
    String stat = Files.readString(Path.of("/proc/" + servicePid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
    return ticks * 10; // USER_HZ is 100 on Linux
  }

  static HttpResponse<String> get(String path) {
    try {
      return CLIENT.send(HttpRequest.newBuilder(URI.create(base + path))
          .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode post(String path, String body) {
    try {
      HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + path))
          .header("Content-Type", "text/plain")
          .timeout(Duration.ofSeconds(120))
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 202) throw new IllegalStateException(r.statusCode() + " " + r.body());
      return JSON.readTree(r.body());
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Samples the service's RSS (/proc, every 100 ms) and heap in use (S0U+S1U+EU+OU from one
   * long-running {@code jstat -gc <pid> 100}, so sampling starts no JVM per sample).
   */
  static final class Sampler {
    static volatile double heapNowKb;
    static volatile double gcSecondsNow;
    static Process jstat;

    final AtomicLong rssKb = new AtomicLong();
    final AtomicLong heapKb = new AtomicLong();
    volatile boolean running = true;
    Thread thread;

    /** Follows the service's heap for as long as it runs. */
    static void follow(long pid) throws Exception {
      if (jstat != null) jstat.destroy();
      jstat = new ProcessBuilder("jstat", "-gc", String.valueOf(pid), "100").start();
      BufferedReader in = new BufferedReader(new InputStreamReader(jstat.getInputStream()));
      Thread t = new Thread(() -> {
        try {
          String[] header = null;
          String line;
          while ((line = in.readLine()) != null) {
            String[] cols = line.trim().split("\\s+");
            if (cols[0].equals("S0C")) {
              header = cols;
              continue;
            }
            if (header == null || cols.length != header.length) continue;
            double used = 0;
            for (int i = 0; i < header.length; i++) {
              if (List.of("S0U", "S1U", "EU", "OU").contains(header[i])) {
                used += Double.parseDouble(cols[i]);
              }
            }
            heapNowKb = used;
            for (int i = 0; i < header.length; i++) {
              if (header[i].equals("GCT")) gcSecondsNow = Double.parseDouble(cols[i]);
            }
          }
        } catch (Exception e) {
          // the service or jstat ended
        }
      }, "jstat");
      t.setDaemon(true);
      t.start();
    }

    static Sampler start() {
      Sampler s = new Sampler();
      s.thread = new Thread(s::loop, "sampler");
      s.thread.setDaemon(true);
      s.thread.start();
      return s;
    }

    void loop() {
      while (running) {
        try {
          for (String l : Files.readAllLines(Path.of("/proc/" + servicePid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
              rssKb.accumulateAndGet(Long.parseLong(l.replaceAll("\\D", "")), Math::max);
            }
          }
          heapKb.accumulateAndGet((long) heapNowKb, Math::max);
          Thread.sleep(100);
        } catch (Exception e) {
          return;
        }
      }
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
      heapKb.accumulateAndGet((long) heapNowKb, Math::max);
    }

    double rssMiB() {
      return rssKb.get() / 1024.0;
    }

    double heapMiB() {
      return heapKb.get() / 1024.0;
    }
  }

  static Result median(List<Result> rs) {
    return new Result(rs.get(0).name(), med(rs, Result::jobWallMs), med(rs, Result::clientMs),
        rs.get(0).idealMs(), med(rs, Result::urlsPerS), med(rs, Result::rssMiB),
        med(rs, Result::heapMiB), med(rs, Result::cpuUsPerUrl), med(rs, Result::gcMs),
        med(rs, Result::journalPerS), med(rs, Result::storeCpuUsPerUrl), rs.size() > 1 && rs.get(0).name().equals("S")
            ? "clientMs = POST of 10,000 URLs to 202, the slower of concurrency 256 and 10,000"
            : rs.get(0).note());
  }

  static double med(List<Result> rs, java.util.function.ToDoubleFunction<Result> f) {
    double[] v = rs.stream().mapToDouble(f).sorted().toArray();
    return v[v.length / 2];
  }

  static void print(Result r, int runs) {
    System.out.printf("%-3s jobWallMs=%s clientMs=%s idealMs=%s wall/ideal=%s urls/s=%s"
            + " peakRssMiB=%s peakHeapMiB=%s%s (median of %d)%s%n",
        r.name(), f(r.jobWallMs()), f(r.clientMs()), f(r.idealMs()),
        Double.isNaN(r.jobWallMs()) || Double.isNaN(r.idealMs()) || r.idealMs() <= 0 ? "-"
            : String.format("%.2f", r.jobWallMs() / r.idealMs()),
        f(r.urlsPerS()), f(r.rssMiB()), f(r.heapMiB()),
        Double.isNaN(r.cpuUsPerUrl()) ? ""
            : " cpuUs/url=" + f(r.cpuUsPerUrl()) + " gcMs=" + f(r.gcMs())
                + " journalEvents/s=" + f(r.journalPerS()) + storeCpu(r.storeCpuUsPerUrl()), runs,
        r.note().isEmpty() ? "" : "  " + r.note());
  }

  static String f(double d) {
    return Double.isNaN(d) ? "-" : String.format("%.0f", d);
  }
}
