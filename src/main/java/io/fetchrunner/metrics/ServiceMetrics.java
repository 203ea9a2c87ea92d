package io.fetchrunner.metrics;

import io.fetchrunner.fetch.AttemptOutcome;
import io.fetchrunner.fetch.ErrorKind;
import io.fetchrunner.fetch.HostGate;
import io.fetchrunner.fetch.HostHealth;
import io.fetchrunner.history.HistoryQueries;
import io.fetchrunner.history.ReadSideLag;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobMetrics;
import io.fetchrunner.job.JobStatus;
import io.fetchrunner.job.RunningJobs;
import io.fetchrunner.job.UrlState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The figures of one service instance for GET /metrics, in a Micrometer registry of its own
 * (several services may run in one JVM: tests do). Jobs and workers count into it as they go
 * ({@link JobMetrics}: an increment of a meter made beforehand, nothing allocated); the gauges
 * read the service's parts when scraped. The README's "Metrics" section lists every name.
 */
public final class ServiceMetrics implements JobMetrics, AutoCloseable {
  /** The host label of the requests of every host beyond the busiest. */
  public static final String OTHER_HOSTS = "other";

  /** Fetch request latency buckets: loopback in ms up to a slow site's tens of seconds. */
  static final Duration[] REQUEST_BUCKETS = {
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

  /** Journal write buckets: a batch takes ms on H2, more on a remote or busy PostgreSQL. */
  static final Duration[] WRITE_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofSeconds(5)};

  /** Events per batch: 1 up to fetchrunner.jobs.result-batch-max (1,000 by default) and more. */
  static final double[] BATCH_BUCKETS = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500};

  /** How long the read side's job counts are reused between scrapes. */
  static final Duration JOB_COUNTS_FOR = Duration.ofSeconds(1);

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final int topHosts;
  /** URL results by outcome "succeeded", and by error kind (its wire word) when failed. */
  private final Counter succeeded;
  private final Map<String, Counter> failed = new HashMap<>();
  private final Counter cancelled;
  private final Timer requestOk;
  private final Timer requestFailed;
  private final Timer journalWrite;
  private final DistributionSummary batchResults;
  private final MultiGauge hostsInFlight;
  private final MultiGauge hostsWaiting;
  private volatile HostGate gate;
  private volatile HistoryQueries history;
  /** The read side's job counts by state, and when they were read (nanoTime); null: never. */
  private volatile Map<JobStatus, Long> jobCounts;
  private long jobCountsAt;

  public ServiceMetrics(int topHosts) {
    this.topHosts = topHosts;
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);

    String urls = "fetchrunner.urls.fetched";
    String urlsHelp = "URL results stored by the jobs on this node, by outcome and error kind";
    succeeded = Counter.builder(urls).description(urlsHelp)
        .tags("outcome", "succeeded", "error_kind", "none").register(registry);
    for (ErrorKind kind : ErrorKind.values()) {
      failed.put(kind.wire(), Counter.builder(urls).description(urlsHelp)
          .tags("outcome", "failed", "error_kind", kind.wire()).register(registry));
    }
    cancelled = Counter.builder(urls).description(urlsHelp)
        .tags("outcome", "cancelled", "error_kind", ErrorKind.CANCELLED.wire())
        .register(registry);

    String request = "fetchrunner.fetch.request";
    String requestHelp = "One attempt at a URL, from its request being sent to its response"
        + " read (each retry is one more; 0 for an attempt never sent)";
    requestOk = Timer.builder(request).description(requestHelp).tags("outcome", "ok")
        .serviceLevelObjectives(REQUEST_BUCKETS).register(registry);
    requestFailed = Timer.builder(request).description(requestHelp).tags("outcome", "failed")
        .serviceLevelObjectives(REQUEST_BUCKETS).register(registry);
    journalWrite = Timer.builder("fetchrunner.journal.write")
        .description("Storing one batch of a job's results in the journal (one journal row),"
            + " from the job asking until the journal confirmed")
        .serviceLevelObjectives(WRITE_BUCKETS).register(registry);
    batchResults = DistributionSummary.builder("fetchrunner.journal.batch")
        .baseUnit("results")
        .description("URL results in one stored batch (one journal row)")
        .serviceLevelObjectives(BATCH_BUCKETS).register(registry);
    hostsInFlight = MultiGauge.builder("fetchrunner.requests.in.flight")
        .description("Requests holding a permit of their host now, for the busiest hosts"
            + " (the rest under host=\"other\")")
        .register(registry);
    hostsWaiting = MultiGauge.builder("fetchrunner.requests.waiting")
        .description("Requests waiting for a permit of their host now, for the busiest hosts"
            + " (the rest under host=\"other\")")
        .register(registry);
  }

  /** Gauges of the service's parts: read when scraped. */
  public void watch(HostGate gate, RunningJobs running, ReadSideLag lag,
      HistoryQueries history) {
    this.gate = gate;
    Gauge.builder("fetchrunner.node.jobs.running", running, RunningJobs::size)
        .description("Jobs running on this node now").register(registry);
    Gauge.builder("fetchrunner.read.side.lag", lag,
            l -> l.seconds(System.currentTimeMillis()))
        .baseUnit("seconds")
        .description("The read side (GET /jobs, /stats) holds the journal's events written up"
            + " to this long ago; NaN on the nodes that do not run it")
        .register(registry);
    this.history = history;
    for (JobStatus state : JobStatus.values()) {
      Gauge.builder("fetchrunner.jobs", this, m -> m.jobCount(state))
          .tags("state", state.name().toLowerCase(Locale.ROOT))
          .description("Jobs in the read side by state (the whole cluster's, as GET /jobs"
              + " lists them)")
          .register(registry);
    }
  }

  /** Host back-off and availability (GET /hosts), read when scraped. */
  public void watch(HostHealth health) {
    for (String state : List.of("slowed", "blocked", "unavailable")) {
      Gauge.builder("fetchrunner.hosts.held.back", health,
              h -> h.view().stream().filter(v -> v.state().equals(state)).count())
          .tags("state", state)
          .description("Hosts this node holds back now (GET /hosts): slowed or blocked by"
              + " back-off, or unavailable after connection failures in a row")
          .register(registry);
    }
    FunctionCounter.builder("fetchrunner.hosts.slowdowns", health,
            h -> h.counters().slowdowns())
        .description("Times a host was slowed down (429, 503, failures in a row)")
        .register(registry);
    FunctionCounter.builder("fetchrunner.requests.delayed", health,
            h -> h.counters().delayed())
        .description("Requests that waited for their host because it was backed off")
        .register(registry);
    FunctionCounter.builder("fetchrunner.requests.failed.fast", health,
            h -> h.counters().failedFast())
        .description("Requests failed at once as host-unavailable")
        .register(registry);
  }

  private double jobCount(JobStatus state) {
    Map<JobStatus, Long> counts = jobCounts;
    return counts == null ? Double.NaN : counts.getOrDefault(state, 0L);
  }

  // ---- counted as jobs go ----

  @Override
  public void attempted(AttemptOutcome outcome) {
    (outcome.succeeded() ? requestOk : requestFailed)
        .record(outcome.latencyMs(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void stored(List<Job.Event> events, long nanos) {
    journalWrite.record(nanos, TimeUnit.NANOSECONDS);
    int results = 0;
    for (Job.Event e : events) {
      if (!(e instanceof Job.UrlsFetched batch)) continue;
      for (Job.Outcome o : batch.results()) {
        results++;
        UrlState state = o.result().state();
        if (state == UrlState.SUCCEEDED) {
          succeeded.increment();
        } else if (state == UrlState.CANCELLED) {
          cancelled.increment();
        } else {
          Counter c = failed.get(o.result().errorKind());
          (c != null ? c : failed.get(ErrorKind.OTHER.wire())).increment();
        }
      }
    }
    batchResults.record(results);
  }

  // ---- scraping ----

  /** Everything in the Prometheus text format (0.0.4). Blocking: reads the read side. */
  public String scrape() {
    refreshHosts();
    refreshJobCounts();
    return registry.scrape();
  }

  private void refreshHosts() {
    HostGate g = gate;
    if (g == null) return;
    List<MultiGauge.Row<?>> inFlight = new ArrayList<>();
    List<MultiGauge.Row<?>> waiting = new ArrayList<>();
    for (HostGate.HostLoad load : g.busiest(topHosts, OTHER_HOSTS)) {
      Tags host = Tags.of("host", load.host());
      inFlight.add(MultiGauge.Row.of(host, load.inFlight()));
      waiting.add(MultiGauge.Row.of(host, load.waiting()));
    }
    hostsInFlight.register(inFlight, true);
    hostsWaiting.register(waiting, true);
  }

  private synchronized void refreshJobCounts() {
    if (history == null) return;
    long now = System.nanoTime();
    if (jobCounts != null && now - jobCountsAt < JOB_COUNTS_FOR.toNanos()) return;
    try {
      jobCounts = new EnumMap<>(history.jobsByState());
      jobCountsAt = now;
    } catch (java.sql.SQLException e) {
      // The store is away: the last counts stay (NaN before the first), /health says why.
      LoggerFactory.getLogger(ServiceMetrics.class).debug("metrics: job counts not read", e);
    }
  }

  /** The registry (tests, and binders a caller adds). */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
