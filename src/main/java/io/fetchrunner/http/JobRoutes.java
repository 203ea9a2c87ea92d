package io.fetchrunner.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.fetchrunner.Settings;
import io.fetchrunner.Stages;
import io.fetchrunner.fetch.TargetPolicy;
import io.fetchrunner.job.BrokenJobs;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobRequest;
import io.fetchrunner.job.JobSupervisor;
import io.fetchrunner.job.JobView;
import io.fetchrunner.job.RunningJobs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The job calls: {@code POST /jobs}, {@code GET} and {@code DELETE /jobs/{id}},
 * {@code POST /jobs/{id}/rerun}. Actors never
 * see HTTP types; this class never sees events. The root ({@link ApiRoutes}) adds the token,
 * the answers to failures and the 503 while shutting down.
 */
public final class JobRoutes extends AllDirectives {
  private final ActorSystem<?> system;
  private final ActorRef<JobSupervisor.Command> supervisor;
  private final ClusterSharding sharding;
  private final Settings settings;
  private final JobRequestParser parser;
  private final BrokenJobs broken;
  private final RunningJobs running;
  private final HistoryRoutes history;

  public JobRoutes(ActorSystem<?> system, ActorRef<JobSupervisor.Command> supervisor,
      ClusterSharding sharding, Settings settings, TargetPolicy targets, BrokenJobs broken,
      RunningJobs running, HistoryRoutes history) {
    this.broken = broken;
    this.running = running;
    this.system = system;
    this.supervisor = supervisor;
    this.sharding = sharding;
    this.settings = settings;
    this.parser = new JobRequestParser(settings, targets);
    this.history = history;
  }

  public Route routes() {
    return pathPrefix("jobs", () -> concat(
        pathEnd(() -> post(this::submit)),
        path(PathMatchers.segment(), id -> pathEnd(() -> concat(
            get(() -> parameterMultiMap(given -> {
              var query = QueryParameters.only(given, Set.of("results"));
              return completeWithFuture(getJob(id, withResults(query.get("results"))));
            })),
            delete(() -> parameterMultiMap(given -> {
              QueryParameters.only(given, Set.of());
              return completeWithFuture(cancel(id));
            }))))),
        path(PathMatchers.segment().slash("rerun"), id -> post(() -> rerun(id)))));
  }

  /** The Idempotency-Key header, checked: 1 to 255 visible ASCII characters (else a 400). */
  private static String idempotencyKey(Optional<String> header) {
    String key = header.map(String::strip).orElse(null);
    if (key != null && (key.isEmpty() || key.length() > 255
        || !key.chars().allMatch(ch -> ch >= 0x21 && ch <= 0x7e))) {
      throw Problem.badRequest("Idempotency-Key",
          "Idempotency-Key must be 1 to 255 visible ASCII characters");
    }
    return key;
  }

  /**
   * Hands a job to the supervisor: 202 with its summary and Location, 200 for a replay under
   * the same Idempotency-Key, 422 when the key was used for another request.
   */
  private CompletionStage<HttpResponse> submitted(JobRequest job, String key) {
    CompletionStage<JobSupervisor.SubmitReply> reply = Stages.plain(AskPattern.ask(
        supervisor,
        (ActorRef<JobSupervisor.SubmitReply> replyTo) -> new JobSupervisor.Submit(job, key,
            replyTo),
        settings.http().askTimeout(), system.scheduler()));
    return reply.thenApply(r -> {
      if (r instanceof JobSupervisor.Submitted s) {
        // A replay under the same Idempotency-Key is the job accepted earlier: 200.
        return Json.response(s.replayed() ? 200 : 202, s.summary())
            .addHeader(Location.create("/jobs/" + s.summary().id()));
      }
      if (r instanceof JobSupervisor.KeyReused k) {
        return Problem.response(422, "Idempotency-Key reused",
            "this Idempotency-Key was used for a different request (job " + k.jobId()
                + ")", "Idempotency-Key");
      }
      return ProblemMapping.unavailable(((JobSupervisor.NotSubmitted) r).reason());
    }).exceptionally(ProblemMapping::response);
  }

  // ---- POST /jobs ----

  private Route submit() {
    return extractRequest(request -> parameterMultiMap(given ->
        optionalHeaderValueByName("Idempotency-Key", idempotencyKey ->
        entity(Unmarshaller.entityToString(), body -> {
          String key = idempotencyKey(idempotencyKey);
          var contentType = request.entity().getContentType();
          var mediaType = contentType.mediaType();
          JobRequest job;
          if (mediaType.equals(MediaTypes.APPLICATION_JSON)) {
            if (!given.isEmpty()) {
              String param = given.keySet().iterator().next();
              throw Problem.badRequest(param, "with a JSON body, options go in the body, not in"
                  + " the query (\"" + param + "\")");
            }
            job = parser.fromJson(body);
          } else if (mediaType.equals(MediaTypes.TEXT_PLAIN)) {
            job = parser.fromText(body,
                QueryParameters.only(given, JobRequestParser.QUERY_PARAMETERS));
          } else {
            throw new Problem(415, "Unsupported media type", "send application/json or"
                + " text/plain (one URL per line), not "
                + (contentType.equals(ContentTypes.NO_CONTENT_TYPE) ? "a body with no Content-Type"
                    : mediaType.toString()), "Content-Type");
          }
          if (!job.isConditional()) return completeWithFuture(submitted(job, key));
          // Conditional: each URL asks with what it got in the previous run of this name.
          JobRequest asked = job;
          return completeWithFuture(history.previousValidators(job.name())
              .thenCompose(validators -> submitted(asked.withValidators(validators), key)));
        }))));
  }

  // ---- POST /jobs/{id}/rerun ----

  /**
   * A new job with the URLs of a finished job that failed ({@code only=failed}, the default)
   * or all of them ({@code only=all}), with its options, linked by {@code rerunOf}.
   */
  private Route rerun(String given) {
    return parameterMultiMap(params -> optionalHeaderValueByName("Idempotency-Key", header ->
        extractStrictEntity(Duration.ofSeconds(5), body -> {
          var query = QueryParameters.only(params, Set.of("only"));
          String only = query.getOrDefault("only", "failed");
          if (!only.equals("failed") && !only.equals("all")) {
            throw Problem.badRequest("only", "\"only\" must be failed or all");
          }
          if (!body.isKnownEmpty() && body.getData().nonEmpty()) {
            throw Problem.badRequest("body", "a re-run takes no body: the options are the"
                + " original job's (only=failed or only=all in the query)");
          }
          String key = idempotencyKey(header);
          var jobId = jobId(given);
          if (jobId.isEmpty()) return complete(noSuchJob(given));
          String id = jobId.get();
          var brokenAnswer = brokenJob(id);
          if (brokenAnswer.isPresent()) return complete(brokenAnswer.get());
          return completeWithFuture(Stages.plain(entity(id).<Job.RerunReply>ask(
                  replyTo -> new Job.Rerun(only.equals("failed"), replyTo),
                  settings.http().askTimeout()))
              .thenCompose(r -> {
                if (r instanceof Job.RerunRequest again) return submitted(again.request(), key);
                HttpResponse refused;
                if (r instanceof Job.StillRunning) {
                  refused = Problem.response(409, "Job still running", "job " + id
                      + " is still running: re-run it once it has finished (or cancel it)",
                      null);
                } else if (r instanceof Job.NothingToRerun n) {
                  refused = Problem.response(409, "Nothing to re-run", "job " + id + " has no"
                      + " failed URL (" + n.summary().succeeded() + " succeeded, "
                      + n.summary().cancelled() + " cancelled); only=all runs every URL again",
                      "only");
                } else {
                  refused = noSuchJob(id);
                }
                return CompletableFuture.completedFuture(refused);
              })
              .exceptionally(error -> failure(id, error)));
        })));
  }

  // ---- GET /jobs/{id} and DELETE /jobs/{id} ----

  private static boolean withResults(String results) {
    if (results == null || results.equals("true")) return true;
    if (results.equals("false")) return false;
    throw Problem.badRequest("results", "\"results\" must be true or false");
  }

  /** 500 for a job whose events cannot be read back; it does not answer, so don't wait. */
  private Optional<HttpResponse> brokenJob(String id) {
    return broken.reason(id).map(reason -> Problem.response(500, "Job cannot be loaded",
        "job " + id + " cannot be loaded from the store: " + reason
            + " (its other jobs are unaffected; see the service log)", null));
  }

  private HttpResponse failure(String id, Throwable error) {
    return brokenJob(id).orElseGet(() -> ProblemMapping.response(error));
  }

  private CompletionStage<HttpResponse> getJob(String given, boolean withResults) {
    var jobId = jobId(given);
    if (jobId.isEmpty()) return CompletableFuture.completedFuture(noSuchJob(given));
    String id = jobId.get();
    var brokenAnswer = brokenJob(id);
    if (brokenAnswer.isPresent()) return CompletableFuture.completedFuture(brokenAnswer.get());
    // A job running here answers itself; the read side answers only for finished jobs.
    if (withResults || running.contains(id)) return askJob(id, withResults);
    return history.finishedJob(id).thenCompose(summary -> summary.isPresent()
        ? CompletableFuture.completedFuture(Json.response(200, summary.get()))
        : askJob(id, false));
  }

  /**
   * A job that does not answer its summary within this (it is moving to another node, or
   * loading) is answered from the read side, marked {@code X-Job-Source: read-side}.
   */
  static final Duration READ_SIDE_AFTER = Duration.ofSeconds(3);

  private CompletionStage<HttpResponse> askJob(String id, boolean withResults) {
    Duration wait = withResults ? settings.http().askTimeout()
        : Collections.min(List.of(READ_SIDE_AFTER, settings.http().askTimeout()));
    return Stages.plain(entity(id).<Job.GetReply>ask(
            replyTo -> new Job.Get(withResults, replyTo), wait))
        .thenApply(r -> {
          if (!(r instanceof Job.Found f)) return noSuchJob(id);
          return withResults ? detail(f.view()) : Json.response(200, f.view().summary());
        })
        .exceptionallyCompose(error -> withResults || broken.reason(id).isPresent()
            ? CompletableFuture.completedFuture(failure(id, error))
            : history.latestOfJob(id).thenApply(summary -> summary
                .map(s -> Json.response(200, s).addHeader(RawHeader.create("X-Job-Source",
                    "read-side")))
                .orElseGet(() -> failure(id, error))));
  }

  private CompletionStage<HttpResponse> cancel(String given) {
    var jobId = jobId(given);
    if (jobId.isEmpty()) return CompletableFuture.completedFuture(noSuchJob(given));
    String id = jobId.get();
    var brokenAnswer = brokenJob(id);
    if (brokenAnswer.isPresent()) return CompletableFuture.completedFuture(brokenAnswer.get());
    return Stages.plain(entity(id).<Job.CancelReply>ask(Job.Cancel::new,
            settings.http().askTimeout()))
        .thenApply(r -> {
          if (r instanceof Job.Cancelled c) return Json.response(200, c.summary());
          if (r instanceof Job.AlreadyFinished f) {
            return Problem.response(409, "Job already finished",
                "job " + id + " is already " + f.summary().state() + "; nothing to cancel", null);
          }
          return noSuchJob(id);
        })
        .exceptionally(error -> failure(id, error));
  }

  private EntityRef<Job.Command> entity(String id) {
    return sharding.entityRefFor(Job.TYPE_KEY, id);
  }

  /**
   * Job ids are UUIDs, read in any case: the id as the service writes it (lower case), or
   * empty when {@code segment} is no job id (then no entity is asked).
   */
  static Optional<String> jobId(String segment) {
    String id = segment.toLowerCase(Locale.ROOT);
    try {
      return UUID.fromString(id).toString().equals(id) ? Optional.of(id) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  // ---- responses ----

  /** The summary's fields followed by {@code results}, written in one pass. */
  private static HttpResponse detail(JobView view) {
    var out = new ByteArrayOutputStream(256 + view.results().size() * 128);
    try (JsonGenerator gen = Json.mapper().createGenerator(out)) {
      JsonNode summary = Json.mapper().valueToTree(view.summary());
      gen.writeStartObject();
      for (Iterator<Map.Entry<String, JsonNode>> it = summary.fields(); it.hasNext(); ) {
        var field = it.next();
        gen.writeFieldName(field.getKey());
        gen.writeTree(field.getValue());
      }
      gen.writeFieldName("results");
      gen.writeObject(view.results());
      if (view.notifications() != null && !view.notifications().isEmpty()) {
        gen.writeFieldName("notifications"); // a job with a webhook, once an event came
        gen.writeObject(view.notifications());
      }
      gen.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return HttpResponse.create().withStatus(200)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, out.toByteArray()));
  }


  private static HttpResponse noSuchJob(String id) {
    return Problem.notFound("no job with id \"" + id + "\"").toResponse();
  }
}
