import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What event-stream subscribers cost a job (bench/stream-cost.sh): a 20,000-URL job (W4's
 * shape: /delay/0, concurrency 256) alone, and with 1,000 idle subscribers (to another job
 * that waits) plus 20 subscribers streaming the job's every result, alternated. The job's
 * own wall time (its summary's wallMs) is compared, median of the rounds. JDK only.
 *   java bench/StreamCost.java SERVICE_PORT TARGET_PORT ROUNDS
 */
public final class StreamCost {
  static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");
  static final Pattern WALL = Pattern.compile("\"wallMs\":(\\d+)");
  static final Pattern FINISHED = Pattern.compile("\"finishedAt\":\"");

  static String base;
  static int target;

  public static void main(String[] args) throws Exception {
    base = "http://127.0.0.1:" + args[0];
    target = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    run(2000, 0, 0); // warm-up
    String idle = submit(1, 1_200_000);
    List<Long> alone = new ArrayList<>();
    List<Long> watched = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      alone.add(run(20_000, 0, 0));
      watched.add(run(20_000, 1000, 20, idle));
    }
    CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + idle)).DELETE().build(),
        HttpResponse.BodyHandlers.discarding());
    long a = median(alone);
    long w = median(watched);
    System.out.printf("20,000 URLs alone: wall %s ms (median %d)%n", alone, a);
    System.out.printf("with 1,000 idle + 20 streaming subscribers: wall %s ms (median %d)%n",
        watched, w);
    System.out.printf("ratio watched/alone: %.3f%n", (double) w / a);
  }

  static long run(int urls, int idleSubscribers, int streaming, String... idleJob)
      throws Exception {
    List<CompletableFuture<?>> streams = new ArrayList<>();
    AtomicLong lines = new AtomicLong();
    for (int i = 0; i < idleSubscribers; i++) {
      streams.add(subscribe("/jobs/" + idleJob[0] + "/events", lines));
    }
    if (idleSubscribers > 0) Thread.sleep(2000); // all connected and idle
    String id = submit(urls, 0);
    for (int i = 0; i < streaming; i++) streams.add(subscribe("/jobs/" + id + "/events", lines));
    long wall = awaitWall(id);
    for (CompletableFuture<?> s : streams) s.cancel(true);
    if (streaming > 0) System.out.printf("  streamed %d lines%n", lines.get());
    Thread.sleep(1000);
    return wall;
  }

  static CompletableFuture<?> subscribe(String path, AtomicLong lines) {
    var request = HttpRequest.newBuilder(URI.create(base + path)).GET().build();
    return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(
        new Flow.Subscriber<String>() {
          Flow.Subscription s;

          public void onSubscribe(Flow.Subscription s) {
            this.s = s;
            s.request(Long.MAX_VALUE);
          }

          public void onNext(String line) {
            lines.incrementAndGet();
          }

          public void onError(Throwable t) {}

          public void onComplete() {}
        }));
  }

  static String submit(int n, int delayMs) throws Exception {
    StringBuilder body = new StringBuilder(n * 48);
    for (int i = 0; i < n; i++) {
      body.append("http://127.0.0.1:").append(target).append("/delay/").append(delayMs)
          .append("?i=").append(i).append('\n');
    }
    var r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/jobs?concurrency=256"))
        .header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
        HttpResponse.BodyHandlers.ofString());
    Matcher m = ID.matcher(r.body());
    if (!m.find()) throw new IllegalStateException("submit: " + r.body());
    return m.group(1);
  }

  /** Polls the summary every 500 ms (a poll costs little at that rate) until it ended. */
  static long awaitWall(String id) throws Exception {
    for (int i = 0; i < 1200; i++) {
      Thread.sleep(500);
      String s = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + id
          + "?results=false")).build(), HttpResponse.BodyHandlers.ofString()).body();
      if (FINISHED.matcher(s).find()) {
        Matcher m = WALL.matcher(s);
        m.find();
        return Long.parseLong(m.group(1));
      }
    }
    throw new IllegalStateException("job " + id + " did not finish");
  }

  static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
