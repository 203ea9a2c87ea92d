import com.typesafe.config.ConfigFactory;
import io.fetchrunner.AppConfig;
import io.fetchrunner.Settings;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.UrlResult;
import io.fetchrunner.job.UrlState;
import io.fetchrunner.store.Schema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * How many events per second the service's journal takes, without fetching anything (run by
 * bench/journal-rate.sh). An actor system built from the service's own configuration
 * (AppConfig: the user's conf/application.conf, fetchrunner-runtime.conf, the store named by
 * FETCHRUNNER_STORE_URL or the H2 file in a fresh data directory), on a store readied by the
 * service's own {@link Schema#prepare}, runs {@code entities} event-sourced writers at once.
 * Each persists batches the way a job does ({@code Job.onRecordResults}): {@code batch}
 * {@link Job.UrlFetched} events of a 1 KiB 200 response plus one {@link Job.FetchesStarted},
 * with one {@code persist} of the list, the next batch only after the previous one is stored.
 * Serializer (CBOR), journal plugin, connection pool and table are the service's.
 * Snapshots and the read side are not written.
 *
 * <p>Usage: JournalRate [runs] [entities x batch, ...] [events per run], e.g.
 * {@code 3 1x256,16x64 100000} (URL results per run; each batch adds its FetchesStarted, and
 * the rate counts every event written). Prints one line per run and the median per
 * configuration. Bounded: every run writes a fixed number of events.
 */
public class JournalRate {

  /** A job's write path without the job: persists each batch it is given, then answers. */
  static final class Writer extends EventSourcedBehavior<Writer.Write, Job.Event, Integer> {
    record Write(List<Job.Event> events, ActorRef<Done> replyTo) {}

    Writer(String id) {
      super(PersistenceId.ofUniqueId("JournalRate|" + id));
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<Write, Job.Event, Integer> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Write.class, (state, w) -> Effect().persist(w.events())
              .thenRun(s -> w.replyTo().tell(Done.getInstance())))
          .build();
    }

    @Override
    public EventHandler<Integer, Job.Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> state + 1);
    }
  }

  record Shape(int entities, int batch) {
    static Shape parse(String s) {
      String[] p = s.split("x");
      return new Shape(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }
  }

  static ActorSystem<Void> system;
  static int runNumber;
  static boolean postgres;

  /** One run: events per second, and CPU per event of this JVM and of PostgreSQL's processes. */
  record Rate(double eventsPerS, double writerUs, double postgresUs) {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    List<Shape> shapes = (args.length > 1 ? List.of(args[1].split(",")) : List.of("1x256", "16x64"))
        .stream().map(Shape::parse).toList();
    int events = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;

    Path data = Files.createTempDirectory("fetchrunner-journal-rate");
    var config = AppConfig.load(ConfigFactory.parseMap(Map.of(
        "fetchrunner.data-dir", data.toString(),
        // No cluster: the writers are plain local actors.
        "pekko.actor.provider", "local")));
    Settings.Store store = Settings.from(config).store();
    Schema.prepare(store);
    postgres = store.isPostgres();
    System.out.println("store: " + store.url().replaceAll("\\?.*", "")
        + (store.schema().isEmpty() ? "" : ", schema " + store.schema())
        + ", journal pool " + config.getInt("fetchrunner.store.pool.max-connections")
        + " connections");
    system = ActorSystem.create(Behaviors.empty(), "journal-rate", config);
    try {
      // Untimed: the JIT, the pool's connections and the table's first pages.
      write(shapes.get(0), Math.min(events, 20_000));
      for (Shape shape : shapes) {
        double[] rates = new double[runs];
        for (int run = 0; run < runs; run++) {
          Rate rate = write(shape, events);
          rates[run] = rate.eventsPerS();
          System.out.printf("    %d entities x batches of %d, run %d: %,.0f events/s,"
                  + " writer CPU %.1f us/event%s%n", shape.entities(), shape.batch(), run + 1,
              rate.eventsPerS(), rate.writerUs(), postgres
                  ? String.format(", postgres CPU %.1f us/event", rate.postgresUs()) : "");
        }
        double[] sorted = rates.clone();
        java.util.Arrays.sort(sorted);
        System.out.printf("journal %d entities x batches of %d: %,.0f events/s (median of %d)%n",
            shape.entities(), shape.batch(), sorted[runs / 2], runs);
      }
      try (Connection c = Schema.connect(store);
          ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*), AVG(LENGTH("
              + "\"event_payload\")) FROM \"event_journal\""
              + " WHERE \"persistence_id\" LIKE 'JournalRate|%'")) {
        r.next();
        System.out.printf("rows written: %,d; mean payload %.0f bytes%n", r.getLong(1),
            r.getDouble(2));
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get();
      try (var files = Files.walk(data)) { // the H2 file, if any
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /** Writes {@code events} URL results with fresh writers of the given shape. */
  static Rate write(Shape shape, int events) throws Exception {
    int run = ++runNumber;
    int perEntity = events / shape.entities();
    long cpu0 = cpuMs(Path.of("/proc/self/stat"));
    long pg0 = postgresCpuMs();
    long t0 = System.nanoTime();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < shape.entities(); i++) {
      ActorRef<Writer.Write> writer = system.systemActorOf(
          Behaviors.setup(ctx -> new Writer(run + "-" + ctx.getSelf().path().name())),
          "writer-" + run + "-" + i, org.apache.pekko.actor.typed.Props.empty());
      all.add(writeFrom(writer, 0, perEntity, shape.batch()).toCompletableFuture());
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
    double seconds = (System.nanoTime() - t0) / 1e9;
    // Every event counts, the FetchesStarted of each batch too (as in the W4 figure).
    long written = (long) shape.entities()
        * (perEntity + (perEntity + shape.batch() - 1) / shape.batch());
    return new Rate(written / seconds,
        (cpuMs(Path.of("/proc/self/stat")) - cpu0) * 1000.0 / written,
        (postgresCpuMs() - pg0) * 1000.0 / written);
  }

  /** User + system CPU of the process whose /proc stat file this is, in ms. */
  static long cpuMs(Path stat) throws java.io.IOException {
    String s = Files.readString(stat);
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // USER_HZ 100
  }

  /** CPU so far of every process named postgres here (as in BenchDriver), in ms. */
  static long postgresCpuMs() throws java.io.IOException {
    long ms = 0;
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) continue;
        try {
          if (Files.readString(p.resolve("stat")).contains("(postgres)")) {
            ms += cpuMs(p.resolve("stat"));
          }
        } catch (java.io.IOException e) {
          // the process ended meanwhile
        }
      }
    }
    return ms;
  }

  static CompletionStage<Void> writeFrom(ActorRef<Writer.Write> writer, int from, int to,
      int batch) {
    if (from >= to) return CompletableFuture.completedFuture(null);
    int upTo = Math.min(to, from + batch);
    // The job's clock reads microseconds (JobClock).
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<Job.Event> events = new ArrayList<>(upTo - from + 1);
    for (int i = from; i < upTo; i++) {
      events.add(new Job.UrlFetched(i, new UrlResult(UrlState.SUCCEEDED, 200, 1024, 1, 1, null,
          "application/octet-stream", null, null, null), now));
    }
    events.add(new Job.FetchesStarted(upTo));
    return AskPattern.<Writer.Write, Done>ask(writer, replyTo -> new Writer.Write(events, replyTo),
            Duration.ofSeconds(60), system.scheduler())
        .thenCompose(done -> writeFrom(writer, upTo, to, batch));
  }
}
