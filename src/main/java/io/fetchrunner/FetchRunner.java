package io.fetchrunner;

import com.typesafe.config.Config;
import io.fetchrunner.fetch.HostCredit;
import io.fetchrunner.fetch.HostLeaseClient;
import io.fetchrunner.fetch.HttpFetcher;
import io.fetchrunner.fetch.TargetPolicy;
import io.fetchrunner.history.HistoryQueries;
import io.fetchrunner.history.HistoryStore;
import io.fetchrunner.history.JobHistoryProjection;
import io.fetchrunner.history.ReadSideLag;
import io.fetchrunner.http.ApiRoutes;
import io.fetchrunner.http.ClusterRoutes;
import io.fetchrunner.http.EventRoutes;
import io.fetchrunner.http.HealthCheck;
import io.fetchrunner.http.HostRoutes;
import io.fetchrunner.http.HistoryRoutes;
import io.fetchrunner.http.JobRoutes;
import io.fetchrunner.http.MetricsRoutes;
import io.fetchrunner.http.ScheduleRoutes;
import io.fetchrunner.job.BrokenJobs;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobFeed;
import io.fetchrunner.job.JobSupervisor;
import io.fetchrunner.job.NodeJobs;
import io.fetchrunner.job.RunningJobs;
import io.fetchrunner.metrics.ServiceMetrics;
import io.fetchrunner.schedule.JobLauncher;
import io.fetchrunner.schedule.Schedules;
import io.fetchrunner.store.DataDirectory;
import io.fetchrunner.store.Schema;
import io.fetchrunner.store.StoreIdentity;
import io.fetchrunner.store.StoreWatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.slf4j.LoggerFactory;

/**
 * A running fetchrunner node: the actor system, the job entities (Cluster Sharding), the
 * supervisor (a cluster singleton) and the bound HTTP API. {@link #start} checks what can be
 * checked before anything runs and either returns a fully started service or throws.
 */
public final class FetchRunner implements AutoCloseable {
  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  /** The separate metrics port's binding (fetchrunner.metrics.port), if there is one. */
  private final Optional<ServerBinding> metricsBinding;
  private final Settings settings;
  private final CompletableFuture<String> storeLost;
  /** Set by {@link #close}: the stop that follows was asked for. */
  private volatile boolean closing;

  private FetchRunner(ActorSystem<Void> system, ServerBinding binding,
      Optional<ServerBinding> metricsBinding, Settings settings,
      CompletableFuture<String> storeLost) {
    this.system = system;
    this.binding = binding;
    this.metricsBinding = metricsBinding;
    this.settings = settings;
    this.storeLost = storeLost;
  }

  /** Starts a node on {@code config}, as {@link AppConfig#load} put it together. */
  public static FetchRunner start(Config configured) throws StartupException {
    Config config = configured;
    Settings settings = Settings.from(config);
    if (!settings.http().loopbackOnly() && settings.http().apiToken().isBlank()) {
      throw new StartupException("the API listens on " + settings.http().host()
          + ", beyond this machine, but has no token: set fetchrunner.http.api-token"
          + " (FETCHRUNNER_API_TOKEN), or listen on 127.0.0.1", null);
    }
    var fetch = settings.fetch();
    TargetPolicy targets;
    try { // every rule parsed now: a bad list stops the start with its text
      targets = new TargetPolicy(fetch.allowTargets(), fetch.denyTargets(),
          fetch.allowPrivate(settings.http()));
    } catch (IllegalArgumentException e) {
      throw new StartupException("configuration: fetchrunner.fetch.targets: " + e.getMessage(),
          null);
    }
    checkCluster(settings);
    prepareStore(settings);
    config = config.withValue(StoreCheck.KEY,
        com.typesafe.config.ConfigValueFactory.fromAnyRef(storeId(settings)));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(),
        ClusterSettings.SYSTEM_NAME, config);
    // This instance's own registry (tests run several services in one JVM).
    ServiceMetrics metrics = new ServiceMetrics(settings.metrics().topHosts());
    CoordinatedShutdown.get(system).addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-metrics", () -> {
          metrics.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    try {
      if (settings.cluster().multiNode()) awaitJoin(system, config);
      ClusterSharding sharding = ClusterSharding.get(system);
      HttpFetcher fetcher = new HttpFetcher(system, fetch, settings.hosts(), targets);
      ActorRef<JobSupervisor.Command> supervisor = ClusterSingleton.get(system).init(
          SingletonActor.of(JobSupervisor.create(sharding, settings.http().askTimeout(),
              settings.jobs().idempotencyKeyRetention()),
              "job-supervisor"));
      RunningJobs running = new RunningJobs();
      BrokenJobs broken = new BrokenJobs();
      ActorRef<Topic.Command<JobFeed.Progress>> progress = system.systemActorOf(
          Topic.create(JobFeed.Progress.class, JobFeed.PROGRESS_TOPIC), "job-progress",
          Props.empty());
      Job.Deps deps = Job.Deps.of(settings, fetcher, supervisor, running, broken, metrics)
          .withProgress(progress);
      sharding.init(Entity.of(Job.TYPE_KEY,
              ctx -> Job.create(ctx.getEntityId(), deps, Optional.of(ctx.getShard())))
          .withStopMessage(new Job.HandOff()));
      if (settings.cluster().multiNode()) {
        // per-host-concurrency holds across the nodes: each host's permits are leased.
        int perHost = fetch.perHostConcurrency();
        sharding.init(Entity.of(HostCredit.TYPE_KEY,
            ctx -> HostCredit.create(ctx.getEntityId(), perHost, ctx.getShard())));
        system.systemActorOf(HostLeaseClient.create(fetcher.gate(), sharding, perHost),
            "host-leases", Props.empty());
      }
      Cluster cluster = Cluster.get(system);
      if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      // The read side: one pool for the projection's writes, one for the queries.
      var historyWrites = new HistoryStore(settings.store(), "fetchrunner-history-writes", 2);
      var historyReads = new HistoryStore(settings.store(), "fetchrunner-history-reads",
          settings.history().poolSize());
      CoordinatedShutdown.get(system).addTask(
          CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-history-store", () -> {
            historyWrites.close();
            historyReads.close();
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      ReadSideLag lag = new ReadSideLag();
      ActorRef<JobHistoryProjection.Command> projection = ClusterSingleton.get(system).init(
          SingletonActor.of(JobHistoryProjection.create(historyWrites, settings.history(), lag),
              "job-history-projection"));
      var queries = new HistoryQueries(historyReads);
      metrics.watch(fetcher.gate(), running, lag, queries);
      metrics.watch(fetcher.health());
      var history = new HistoryRoutes(system, queries, projection, settings);
      var jobs = new JobRoutes(system, supervisor, sharding, settings, targets, broken,
          running, history);
      ActorRef<Schedules.Command> schedules = ClusterSingleton.get(system).init(
          SingletonActor.of(Schedules.create(new Schedules.Deps(Clock.systemUTC(),
              settings.jobs().scheduleLateAfter(), Duration.ofSeconds(1),
              new JobLauncher(system, supervisor, sharding, settings.http().askTimeout(),
                  history::validatorsOf))),
              "schedules"));
      var scheduleRoutes = new ScheduleRoutes(system, schedules, sharding, settings, targets,
          Clock.systemUTC());
      system.systemActorOf(NodeJobs.create(running), "node-jobs", Props.empty());
      var metricsRoutes = new MetricsRoutes(system, metrics::scrape);
      boolean ownPort = settings.metrics().port().isPresent();
      var routes = new ApiRoutes(settings.http(), new HealthCheck(system, settings.store()),
          jobs, history, scheduleRoutes, new ClusterRoutes(system),
          new EventRoutes(system, sharding, settings, progress),
          new HostRoutes(fetcher.health(), settings.hosts(), fetch.perHostConcurrency()),
          ownPort ? Optional.empty() : Optional.of(metricsRoutes));
      ServerBinding binding = bind(system, settings, routes);
      Optional<ServerBinding> metricsBinding = Optional.empty();
      if (ownPort) {
        metricsBinding = Optional.of(bindMetrics(system, settings.metrics(),
            routes.metricsPort(metricsRoutes)));
      }
      addGracefulShutdown(system, settings, binding, routes, running);
      return new FetchRunner(system, binding, metricsBinding, settings,
          watchStore(system, settings));
    } catch (StartupException | RuntimeException e) {
      system.terminate();
      awaitQuietly(system);
      throw e;
    }
  }

  /**
   * A store closed under the service (see {@link StoreWatch}) records nothing more: the
   * service stops as on SIGTERM (jobs in flight resume after the restart), and the returned
   * future says why. {@link Main} then exits with status 3.
   */
  private static CompletableFuture<String> watchStore(ActorSystem<?> system, Settings settings)
      throws StartupException {
    CompletableFuture<String> lost = new CompletableFuture<>();
    // Only H2 closes a store for good under the service; the pools on a PostgreSQL server
    // that restarts open new connections.
    if (!settings.store().isH2()) return lost;
    StoreWatch watch;
    try {
      watch = StoreWatch.start(system, settings.store(), settings.storeWatchInterval(),
          reason -> {
            system.log().error("the store was closed under the service ({}): nothing more can"
                + " be recorded, so the service stops; start it again to reopen the store and"
                + " resume the jobs", reason);
            lost.complete(reason);
            CoordinatedShutdown.get(system).run(StoreLost.INSTANCE);
          });
    } catch (java.sql.SQLException e) {
      throw new StartupException("cannot open the store " + settings.store().url() + ": "
          + e.getMessage(), e);
    }
    var shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "stop-store-watch", () -> {
      watch.stop();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-store-watch",
        () -> {
          watch.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    return lost;
  }

  /** The reason given to the coordinated shutdown when the store was lost. */
  private static final class StoreLost implements CoordinatedShutdown.Reason {
    static final StoreLost INSTANCE = new StoreLost();
  }

  /** Why the service stopped by itself, if it did: the store was closed under it. */
  public Optional<String> storeLost() {
    return Optional.ofNullable(storeLost.getNow(null));
  }

  /** A stop nobody asked for: the process's exit status and why. */
  public record UnplannedStop(int status, String reason) {}

  /**
   * Whether the actor system has stopped without being asked to, and then with which exit
   * status: 3 when the store was closed under it ({@link #watchStore}), 4 for anything else (a
   * guardian failure, this node downed or removed by the cluster, ...): the node can do nothing
   * more. Empty while it runs, and after a stop that was asked for (SIGTERM, {@link #close}).
   */
  public Optional<UnplannedStop> unplannedStop() {
    if (!system.getWhenTerminated().toCompletableFuture().isDone() || closing) {
      return Optional.empty();
    }
    Optional<String> lost = storeLost();
    if (lost.isPresent()) return Optional.of(new UnplannedStop(3, "the store was closed"));
    Optional<CoordinatedShutdown.Reason> reason =
        CoordinatedShutdown.get(system).getShutdownReason();
    if (reason.isPresent() && reason.get() == CoordinatedShutdown.jvmExitReason()) {
      return Optional.empty(); // SIGTERM: the JVM is exiting already
    }
    if (reason.isPresent()
        && reason.get() == CoordinatedShutdown.incompatibleConfigurationDetectedReason()) {
      return Optional.of(new UnplannedStop(4, REFUSED_BY_CLUSTER));
    }
    if (reason.isPresent() && reason.get() == CoordinatedShutdown.clusterDowningReason()) {
      return Optional.of(new UnplannedStop(4, "the cluster downed this node (it was"
          + " unreachable, or on the smaller side of a network split); its jobs moved to the"
          + " other nodes; start it again to rejoin"));
    }
    return Optional.of(new UnplannedStop(4, reason.map(r -> r.getClass().getSimpleName()
        .replace("$", "")).orElse("no reason given")));
  }

  /**
   * SIGTERM (or {@link #close()}): answer 503 to every call while running jobs stop starting
   * fetches and store the results of those in flight (bounded by
   * fetchrunner.shutdown.drain-timeout); then stop accepting connections, and stop the
   * actors and the store.
   */
  private static void addGracefulShutdown(ActorSystem<?> system, Settings settings,
      ServerBinding binding, ApiRoutes routes, RunningJobs running) {
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "drain-running-jobs", () -> {
          routes.stopping();
          int jobs = running.size();
          if (jobs > 0) {
            system.log().info("shutting down: storing in-flight results of {} running job(s)",
                jobs);
          }
          return running.drain(system, settings.shutdownDrainTimeout());
        });
    binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
  }

  /**
   * What a node of several refuses: H2 (one node's file: the others could not read the jobs
   * it holds), and remoting beyond this machine in the clear (jobs carry URLs and their
   * credentials between nodes).
   */
  private static void checkCluster(Settings settings) throws StartupException {
    ClusterSettings cluster = settings.cluster();
    if (cluster.multiNode() && settings.store().isH2()) {
      throw new StartupException("several nodes (fetchrunner.cluster.seed-nodes,"
          + " FETCHRUNNER_SEED_NODES) need a store they share: the embedded H2 store is this"
          + " node's own file; set FETCHRUNNER_STORE_URL to a PostgreSQL database (README,"
          + " \"Scale out\")", null);
    }
    if (!cluster.loopbackOnly() && !cluster.tls().enabled()) {
      throw new StartupException("cluster remoting on " + cluster.hostname()
          + " (fetchrunner.cluster.hostname, FETCHRUNNER_CLUSTER_HOST) reaches beyond this"
          + " machine and would carry jobs, with their credentials, in the clear: configure"
          + " TLS (fetchrunner.cluster.tls, FETCHRUNNER_CLUSTER_TLS_KEY_STORE and"
          + " FETCHRUNNER_CLUSTER_TLS_TRUST_STORE; docker/cluster-certs.sh makes them), or use"
          + " 127.0.0.1 (README, \"Scale out\")", null);
    }
  }

  /** How long a node of several waits to join before it starts anyway (and keeps trying). */
  static final Duration JOIN_WAIT = Duration.ofSeconds(20);

  /**
   * A node of several joins the cluster before it takes calls: a node the cluster refuses
   * (another store, {@link StoreCheck}) stops here with the reason, and one that joined
   * answers for every job at once. If no seed node answers within {@link #JOIN_WAIT}, the node
   * starts anyway and keeps trying; /health says DOWN until it has joined.
   */
  private static void awaitJoin(ActorSystem<?> system, Config config) throws StartupException {
    Cluster cluster = Cluster.get(system);
    long deadline = System.nanoTime() + JOIN_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (system.getWhenTerminated().toCompletableFuture().isDone()
          || CoordinatedShutdown.get(system).getShutdownReason().isPresent()) {
        var reason = CoordinatedShutdown.get(system).getShutdownReason();
        awaitQuietly(system);
        throw new StartupException(reason.isPresent()
            && reason.get() == CoordinatedShutdown.incompatibleConfigurationDetectedReason()
            ? REFUSED_BY_CLUSTER
            : "the node stopped while joining the cluster (" + reason.map(Object::toString)
                .orElse("no reason given") + ")", null);
      }
      if (cluster.selfMember().status() == org.apache.pekko.cluster.MemberStatus.up()) return;
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException("interrupted while joining the cluster", e);
      }
    }
    LoggerFactory.getLogger(FetchRunner.class).warn("not a cluster member after {} s: no seed"
        + " node of {} answered; starting anyway and trying on (GET /health says DOWN until"
        + " this node has joined)", JOIN_WAIT.toSeconds(),
        config.getStringList("pekko.cluster.seed-nodes"));
  }

  static final String REFUSED_BY_CLUSTER = "the cluster refused this node: its configuration is"
      + " not the cluster's; every node must use the same store (FETCHRUNNER_STORE_URL,"
      + " FETCHRUNNER_STORE_SCHEMA), and the cluster's nodes log which setting differs";

  /** The store's identity, which every node of a cluster must share ({@link StoreCheck}). */
  private static String storeId(Settings settings) throws StartupException {
    try {
      return StoreIdentity.of(settings.store());
    } catch (java.sql.SQLException e) {
      throw new StartupException("cannot read the store's identity from "
          + Secrets.text(settings.store().url()) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates the data directory (its user's alone: the store holds the jobs' credentials),
   * opens the store, applies its schema, and makes the store's files its user's alone.
   */
  private static void prepareStore(Settings settings) throws StartupException {
    Path h2File = settings.dataDir().resolve("fetchrunner.mv.db");
    if (!settings.store().isH2() && Files.exists(h2File)) {
      // Switching stores moves nothing: say so rather than show an empty history.
      LoggerFactory.getLogger(FetchRunner.class).warn("{} holds an H2 store (jobs and history"
          + " of an earlier run) that this service, on {}, does not read: nothing is migrated"
          + " (README, \"PostgreSQL\")", h2File, Main.storeLabel(settings));
    }
    if (settings.store().isH2()) {
      try {
        DataDirectory.prepare(settings.dataDir(), Settings.STORE_NAME)
            .forEach(LoggerFactory.getLogger(FetchRunner.class)::warn);
      } catch (IOException e) {
        throw new StartupException("cannot create the data directory " + settings.dataDir()
            + " (fetchrunner.data-dir): " + e, e);
      }
      if (!Files.isWritable(settings.dataDir())) {
        throw new StartupException("the data directory " + settings.dataDir()
            + " is not writable (fetchrunner.data-dir)", null);
      }
    }
    try {
      Schema.prepare(settings.store());
    } catch (Schema.Refused e) {
      throw new StartupException("the store " + settings.store().url() + " cannot be used: "
          + e.getMessage(), e);
    } catch (Exception e) {
      String hint = String.valueOf(e.getMessage()).contains("already in use")
          ? " (is another fetchrunner running on the same data directory?)" : "";
      throw new StartupException("cannot open the store " + settings.store().url() + hint
          + ": " + e.getMessage(), e);
    }
    if (settings.store().isH2()) {
      try {
        DataDirectory.protectStore(settings.dataDir(), Settings.STORE_NAME);
      } catch (IOException e) {
        LoggerFactory.getLogger(FetchRunner.class).warn("the store's files in {} could not"
            + " be made readable by their owner only ({}); chmod 600 them", settings.dataDir(),
            e.toString());
      }
    }
  }

  private static ServerBinding bind(ActorSystem<?> system, Settings settings, ApiRoutes routes)
      throws StartupException {
    var http = settings.http();
    // A call still running when the stop's deadline passes is answered like the calls
    // during the stop (Pekko's own answer has no body).
    var server = ServerSettings.create(system.classicSystem())
        .withTerminationDeadlineExceededResponse(ApiRoutes.shuttingDown());
    try {
      return Http.get(system).newServerAt(http.host(), http.port())
          .withSettings(server)
          .bind(routes.routes())
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new StartupException("cannot listen on " + http.host() + ":" + http.port()
          + " (fetchrunner.http.host/port): " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("interrupted while binding", e);
    }
  }

  /**
   * GET /metrics on a port of its own, without the token; it stops taking connections with
   * the API's port.
   */
  private static ServerBinding bindMetrics(ActorSystem<?> system, Settings.Metrics metrics,
      org.apache.pekko.http.javadsl.server.Route route) throws StartupException {
    try {
      ServerBinding b = Http.get(system).newServerAt(metrics.host(), metrics.port().getAsInt())
          .bind(route)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      b.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
      return b;
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new StartupException("cannot listen on " + metrics.host() + ":"
          + metrics.port().getAsInt() + " (fetchrunner.metrics.host/port): "
          + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("interrupted while binding", e);
    }
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** The separate metrics port, when fetchrunner.metrics.port sets one. */
  public OptionalInt metricsPort() {
    return metricsBinding.map(b -> OptionalInt.of(b.localAddress().getPort()))
        .orElse(OptionalInt.empty());
  }

  public String host() {
    return settings.http().host();
  }

  public Settings settings() {
    return settings;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** Stops the service the way SIGTERM does (coordinated shutdown) and waits for it. */
  @Override
  public void close() {
    closing = true;
    system.terminate();
    awaitQuietly(system);
  }

  private static void awaitQuietly(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort: the caller is stopping anyway
    }
  }
}
