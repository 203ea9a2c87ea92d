package io.fetchrunner.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.Settings;
import io.fetchrunner.Stages;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobFeed;
import io.fetchrunner.job.JobFollower;
import io.fetchrunner.job.JobSummary;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;

/**
 * {@code GET /jobs/{id}/events}: a job as it runs, as Server-Sent Events. {@code result} (one
 * URL's result, with its {@code index}; its event id is its number in recording order),
 * {@code progress} (the summary with {@code ratePerSecond} and {@code etaMs}, at most every
 * 250 ms, as the job sends it), then {@code done} and the end of the stream. A client that
 * reconnects with {@code Last-Event-ID} gets the results after that one; {@code restart}
 * says the job stopped on its node (reconnect to go on). A client that does not keep up is
 * dropped when {@link #BUFFER} updates wait for it; it may reconnect.
 */
public final class EventRoutes extends AllDirectives {
  static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(15);
  /**
   * Updates held for one client that does not read before it is dropped: each up to
   * JobFeed.CHUNK results, so at most about 2.5 MB per client beyond the socket's buffers.
   */
  static final int BUFFER = 32;

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Settings settings;
  private final ActorRef<Topic.Command<JobFeed.Progress>> progress;

  public EventRoutes(ActorSystem<?> system, ClusterSharding sharding, Settings settings,
      ActorRef<Topic.Command<JobFeed.Progress>> progress) {
    this.system = system;
    this.sharding = sharding;
    this.settings = settings;
    this.progress = progress;
  }

  public Route routes() {
    return concat(path("events", () -> get(() -> parameterMultiMap(query -> {
      QueryParameters.only(query, Set.of());
      return complete(everyJob());
    }))), jobEvents());
  }

  /**
   * {@code GET /events}: {@code progress} of every job in the cluster as it runs (at most every
   * 250 ms per job) and {@code done} when one ends, until the client goes away.
   */
  private HttpResponse everyJob() {
    Pair<ActorRef<JobFeed.Progress>, Source<JobFeed.Progress, NotUsed>> source =
        ActorSource.<JobFeed.Progress>actorRef(p -> false, p -> Optional.empty(), BUFFER * 8,
            OverflowStrategy.fail()).preMaterialize(system);
    progress.tell(Topic.subscribe(source.first()));
    Source<ByteString, NotUsed> events = source.second()
        .map(p -> Events.summaryEvent(p.summary().finished() ? "done" : "progress",
            p.summary(), null))
        .keepAlive(HEARTBEAT_EVERY, () -> Sse.HEARTBEAT)
        .map(Sse::encode)
        .watchTermination((mat, done) -> {
          done.whenComplete((d, e) -> progress.tell(Topic.unsubscribe(source.first())));
          return mat;
        });
    return eventStream(events);
  }

  private static HttpResponse eventStream(Source<ByteString, NotUsed> events) {
    return HttpResponse.create().withStatus(200)
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        .withEntity(HttpEntities.create(MediaTypes.TEXT_EVENT_STREAM.toContentType(), events));
  }

  private Route jobEvents() {
    return pathPrefix("jobs", () -> path(PathMatchers.segment().slash("events"), given ->
        get(() -> parameterMultiMap(query -> optionalHeaderValueByName("Last-Event-ID",
            lastEventId -> {
              var params = QueryParameters.only(query, Set.of("results"));
              String results = params.get("results");
              if (results != null && !results.equals("true") && !results.equals("false")) {
                throw Problem.badRequest("results", "\"results\" must be true or false");
              }
              int after = lastEventId.map(EventRoutes::parseLastEventId).orElse(0);
              Optional<String> id = JobRoutes.jobId(given);
              if (id.isEmpty()) {
                return complete(Problem.notFound("no job with id \"" + given + "\"")
                    .toResponse());
              }
              return completeWithFuture(follow(id.get(), after, !"false".equals(results)));
            })))));
  }

  private static int parseLastEventId(String value) {
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= 0) return n;
    } catch (NumberFormatException e) {
      // below
    }
    throw Problem.badRequest("Last-Event-ID", "Last-Event-ID must be the id of an event of"
        + " this stream (a number), not \"" + value + "\"");
  }

  /**
   * The stream of one job. With results and a backlog of more than one page
   * ({@link JobFeed#page}), the backlog is read page by page, each asked for once the one
   * before is written (the client's pace), and the job is followed live after it; otherwise
   * the job is followed at once and sends the few results it has.
   */
  private CompletionStage<HttpResponse> follow(String id, int after, boolean withResults) {
    CompletionStage<JobFeed.CatchUpReply> first = withResults ? catchUp(id, after)
        : CompletableFuture.completedFuture(null);
    return first.thenCompose(reply -> {
      if (reply instanceof JobFeed.NoSuchJob) {
        return CompletableFuture.completedFuture(
            Problem.notFound("no job with id \"" + id + "\"").toResponse());
      }
      if (reply instanceof JobFeed.Page page && page.more()) {
        AtomicInteger reached = new AtomicInteger(page.next());
        Source<Object, NotUsed> pages = Source.<JobFeed.Page, JobFeed.Page>unfoldAsync(page,
                p -> p == null ? CompletableFuture.completedFuture(Optional.empty())
                    : (p.more() ? catchUp(id, p.next()) : CompletableFuture.completedFuture(
                        (JobFeed.CatchUpReply) null))
                        .thenApply(next -> Optional.of(Pair.create(
                            next instanceof JobFeed.Page np ? np : null, p))))
            .map(p -> {
              reached.set(p.next());
              return (Object) p;
            });
        Source<Object, NotUsed> live = Source.lazyCompletionStageSource(
                () -> live(id, reached.get(), true).thenApply(s -> s))
            .mapMaterializedValue(m -> NotUsed.getInstance());
        return CompletableFuture.completedFuture(eventStream(
            encode(pages.concat(live), after, true)));
      }
      return live(id, after, withResults).thenApply(source -> source == null
          ? Problem.notFound("no job with id \"" + id + "\"").toResponse()
          : eventStream(encode(source, after, withResults)));
    }).exceptionally(error -> ProblemMapping.unavailable(
        "job " + id + " did not answer in time; try again"));
  }

  /** A page of the job's results after number {@code after}. */
  private CompletionStage<JobFeed.CatchUpReply> catchUp(String id, int after) {
    return sharding.entityRefFor(Job.TYPE_KEY, id).<JobFeed.CatchUpReply>ask(
        replyTo -> new Job.CatchUp(after, replyTo), settings.http().askTimeout());
  }

  /** The events of a stream of updates, until {@code done} or {@code restart}. */
  private static Source<ByteString, NotUsed> encode(Source<?, NotUsed> updates, int after,
      boolean withResults) {
    return updates
        .statefulMapConcat(() -> new Events(after, withResults)::next)
        .takeWhile(e -> e != Sse.END)
        .keepAlive(HEARTBEAT_EVERY, () -> Sse.HEARTBEAT)
        .map(Sse::encode);
  }

  /**
   * Follows the job from result number {@code after}: its updates, starting with
   * {@link JobFeed.Following}; null if there is no such job. The follower is told
   * {@link JobFeed.Unfollowed} when the stream ends.
   */
  private CompletionStage<Source<Object, NotUsed>> live(String id, int after,
      boolean withResults) {
    Pair<ActorRef<JobFeed.Update>, Source<JobFeed.Update, NotUsed>> source =
        ActorSource.<JobFeed.Update>actorRef(u -> false, u -> Optional.empty(), BUFFER,
            OverflowStrategy.fail()).preMaterialize(system);
    ActorRef<JobFeed.Update> follower = system.systemActorOf(JobFollower.create(source.first()),
        "follow-" + id + "-" + UUID.randomUUID(), Props.empty());
    sharding.entityRefFor(Job.TYPE_KEY, id).tell(new Job.Follow(follower, after, withResults));
    CompletableFuture<Pair<List<JobFeed.Update>, Source<JobFeed.Update, NotUsed>>> first =
        Stages.plain(source.second().prefixAndTail(1).runWith(Sink.head(), system));
    return first.orTimeout(settings.http().askTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((split, error) -> {
          if (error != null) follower.tell(new JobFeed.Unfollowed());
        })
        .thenApply(split -> {
          JobFeed.Update head = split.first().isEmpty() ? null : split.first().get(0);
          if (head == null || head instanceof JobFeed.NoSuchJob) return null;
          return Source.<Object>single(head)
              .concat(split.second().map(u -> (Object) u))
              .watchTermination((mat, done) -> {
                done.whenComplete((d, e) -> follower.tell(new JobFeed.Unfollowed()));
                return NotUsed.getInstance();
              });
        });
  }

  /** One event of the stream, as the text/event-stream format writes it. */
  record Sse(String type, String id, String data, ByteString written) {
    /** The stream stops here (never sent). */
    static final Sse END = new Sse(null, null, null, null);
    /** A comment line: keeps an idle connection open through proxies. */
    static final Sse HEARTBEAT = new Sse(null, null, null, null);

    Sse(String type, String id, String data) {
      this(type, id, data, null);
    }
    /** Events already written out. */
    static Sse bytes(ByteString events) {
      return new Sse(null, null, null, events);
    }

    ByteString encode() {
      if (this == HEARTBEAT) return ByteString.fromString(":\n\n");
      if (written != null) return written;
      StringBuilder sb = new StringBuilder(data.length() + 40);
      append(sb, type, id, data);
      return ByteString.fromString(sb.toString());
    }

    /** One event; {@code data} is JSON, one line. */
    private static void append(StringBuilder sb, String type, String id, String data) {
      sb.append("event: ").append(type).append('\n');
      if (id != null) sb.append("id: ").append(id).append('\n');
      sb.append("data: ").append(data).append("\n\n");
    }
  }

  /** Turns a job's updates into events (one instance per stream). */
  private static final class Events {
    private int lastNumber;
    private final boolean withResults;
    private boolean pageSeen;

    Events(int after, boolean withResults) {
      this.lastNumber = after;
      this.withResults = withResults;
    }

    List<Sse> next(Object in) {
      List<Sse> out = new ArrayList<>();
      if (in instanceof JobFeed.Page p) {
        if (!pageSeen) progress(out, p.summary());
        pageSeen = true;
        for (JobFeed.Results r : p.chunks()) results(out, r);
      } else if (in instanceof JobFeed.Following f) {
        progress(out, f.summary());
      } else if (in instanceof JobFeed.Summary s) {
        progress(out, s.summary());
      } else if (in instanceof JobFeed.Results r) {
        results(out, r);
      } else if (in instanceof JobFeed.Ended e) {
        out.add(summaryEvent("done", e.summary(),
            String.valueOf(Math.max(lastNumber, e.lastNumber()))));
        out.add(Sse.END);
      } else if (in instanceof JobFeed.Stopped) {
        out.add(new Sse("restart", withResults ? String.valueOf(lastNumber) : null,
            "{\"reason\":\"the job stopped on its node (the node stops, or the job moves to"
                + " another): reconnect with Last-Event-ID to go on\"}"));
        out.add(Sse.END);
      }
      return out;
    }

    /**
     * Results written by the job once for all its followers. A job sends each result to a
     * follower once, after the follower's Last-Event-ID: chunks never overlap.
     */
    private void results(List<Sse> out, JobFeed.Results r) {
      if (r.firstNumber() > lastNumber) {
        out.add(Sse.bytes(ByteString.fromArrayUnsafe(r.events())));
        lastNumber = r.lastNumber();
      }
    }

    private void progress(List<Sse> out, JobSummary summary) {
      out.add(summaryEvent("progress", summary,
          withResults ? String.valueOf(lastNumber) : null));
    }

    /** An event of {@code type} with the summary, its rate and ETA. */
    static Sse summaryEvent(String type, JobSummary summary, String id) {
      ObjectNode body = Json.mapper().valueToTree(summary);
      long done = summary.succeeded() + summary.failed();
      Double rate = summary.wallMs() > 0 && done > 0 ? done * 1000.0 / summary.wallMs() : null;
      if (rate == null) {
        body.putNull("ratePerSecond");
      } else {
        body.put("ratePerSecond", Math.round(rate * 10) / 10.0);
      }
      if (summary.finished()) {
        body.put("etaMs", 0);
      } else if (rate == null) {
        body.putNull("etaMs");
      } else {
        body.put("etaMs", Math.round(summary.pending() * 1000 / rate));
      }
      return new Sse(type, id, body.toString());
    }
  }
}
