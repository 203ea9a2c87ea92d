package io.fetchrunner.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.Settings;
import io.fetchrunner.Stages;
import io.fetchrunner.fetch.TargetPolicy;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobRequest;
import io.fetchrunner.schedule.ScheduleSpec;
import io.fetchrunner.schedule.Schedules;
import io.fetchrunner.schedule.Timing;
import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The schedule calls: {@code POST /schedules}, {@code GET /schedules},
 * {@code GET}, {@code PATCH} and {@code DELETE /schedules/{id}}. The schedules themselves are
 * the {@link Schedules} entity; each firing submits an ordinary job.
 */
public final class ScheduleRoutes extends AllDirectives {
  private static final Set<String> FIELDS = Set.of("name", "urls", "fromJob", "every", "cron",
      "zone", "options", "overlap", "catchUp");
  private static final Set<String> OPTIONS = Set.of("concurrency", "timeoutMs", "retries",
      "maxRedirects", "maxBodyBytes", "sha256", "headers", "notify", "thresholds", "conditional",
      "perHost", "failFast", "robots");
  private static final Set<String> PATCH_FIELDS = Set.of("paused", "every", "cron", "zone",
      "overlap", "catchUp");

  private final ActorSystem<?> system;
  private final ActorRef<Schedules.Command> schedules;
  private final ClusterSharding sharding;
  private final Settings settings;
  private final JobRequestParser parser;
  private final Clock clock;

  public ScheduleRoutes(ActorSystem<?> system, ActorRef<Schedules.Command> schedules,
      ClusterSharding sharding, Settings settings, TargetPolicy targets, Clock clock) {
    this.system = system;
    this.schedules = schedules;
    this.sharding = sharding;
    this.settings = settings;
    this.parser = new JobRequestParser(settings, targets);
    this.clock = clock;
  }

  public Route routes() {
    return pathPrefix("schedules", () -> concat(
        pathEnd(() -> concat(
            post(() -> parameterMultiMap(given -> {
              QueryParameters.only(given, Set.of());
              return entity(Unmarshaller.entityToString(), body ->
                  completeWithFuture(create(body)));
            })),
            get(() -> parameterMultiMap(given -> {
              QueryParameters.only(given, Set.of());
              return completeWithFuture(ask(Schedules.ListAll::new)
                  .thenApply(all -> Json.response(200, Map.of("schedules", all.schedules()))));
            })))),
        path(PathMatchers.segment(), id -> concat(
            get(() -> parameterMultiMap(given -> {
              QueryParameters.only(given, Set.of());
              return completeWithFuture(this.<Schedules.GetReply>ask(
                  r -> new Schedules.Get(id, r)).thenApply(r -> answer(id, r)));
            })),
            patch(() -> parameterMultiMap(given -> {
              QueryParameters.only(given, Set.of());
              return entity(Unmarshaller.entityToString(), body ->
                  completeWithFuture(update(id, body)));
            })),
            delete(() -> parameterMultiMap(given -> {
              QueryParameters.only(given, Set.of());
              return completeWithFuture(this.<Schedules.GetReply>ask(
                  r -> new Schedules.Delete(id, r)).thenApply(r -> r instanceof Schedules.Found
                      ? HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)
                      : noSuchSchedule(id)));
            }))))));
  }

  private <T> CompletionStage<T> ask(
      org.apache.pekko.japi.function.Function<ActorRef<T>, Schedules.Command> message) {
    return Stages.plain(AskPattern.ask(schedules, message::apply,
        settings.http().askTimeout(), system.scheduler()));
  }

  private static HttpResponse answer(String id, Schedules.GetReply r) {
    return r instanceof Schedules.Found f ? Json.response(200, f.view()) : noSuchSchedule(id);
  }

  private static HttpResponse noSuchSchedule(String id) {
    return Problem.notFound("no schedule with id \"" + id + "\"").toResponse();
  }

  // ---- POST /schedules ----

  private CompletionStage<HttpResponse> create(String body) {
    JsonNode root = Json.readRequest(body);
    if (root == null || !root.isObject()) {
      throw Problem.badRequest("body", "expected a JSON object with \"urls\" or \"fromJob\","
          + " and \"every\" or \"cron\"");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw Problem.badRequest(f, "unknown field \"" + f + "\"; expected " + FIELDS);
      }
    }
    String overlap = choice(root, "overlap", ScheduleSpec.OVERLAPS, ScheduleSpec.SKIP);
    String catchUp = choice(root, "catchUp", ScheduleSpec.CATCH_UPS, ScheduleSpec.NONE);
    Instant now = clock.instant();
    String every = text(root, "every");
    String cron = text(root, "cron");
    String zone = text(root, "zone");
    timing(every, cron, zone, now);
    JsonNode options = root.get("options");
    if (options != null && !options.isNull() && !options.isObject()) {
      throw Problem.badRequest("options", "\"options\" must be an object of job options");
    }
    boolean hasUrls = root.hasNonNull("urls");
    boolean hasJob = root.hasNonNull("fromJob");
    if (hasUrls == hasJob) {
      throw Problem.badRequest("urls", "give either \"urls\" (as for POST /jobs) or"
          + " \"fromJob\" (a job whose URLs and options to run), not both or neither");
    }
    String name = text(root, "name");
    if (hasUrls) {
      ObjectNode job = Json.mapper().createObjectNode();
      if (options != null && options.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
          var e = it.next();
          if (!OPTIONS.contains(e.getKey())) {
            throw Problem.badRequest("options." + e.getKey(), "unknown option \"" + e.getKey()
                + "\"; expected " + OPTIONS);
          }
          job.set(e.getKey(), e.getValue());
        }
      }
      job.set("urls", root.get("urls"));
      if (name != null) job.put("name", name);
      JobRequest request;
      try {
        request = parser.fromJson(job);
      } catch (Problem p) {
        String field = p.field();
        throw Problem.badRequest(field == null || field.equals("urls") || field.startsWith("urls")
            || field.equals("name") ? field : "options." + field, p.getMessage());
      }
      return CompletableFuture.completedFuture(request).thenCompose(r ->
          store(r, every, cron, zone, overlap, catchUp, now));
    }
    if (options != null && !options.isNull()) {
      throw Problem.badRequest("options", "with \"fromJob\" the options are that job's");
    }
    String fromJob = JobRoutes.jobId(text(root, "fromJob")).orElseThrow(() ->
        Problem.badRequest("fromJob", "\"fromJob\" must be a job id"));
    return Stages.plain(sharding.entityRefFor(Job.TYPE_KEY, fromJob).<Job.RerunReply>ask(
            r -> new Job.Rerun(false, r), settings.http().askTimeout()))
        .thenCompose(reply -> {
          if (reply instanceof Job.RerunRequest again) {
            JobRequest r = again.request();
            JobRequest copy = new JobRequest(name != null ? name : r.name(), r.urls(),
                r.concurrency(), r.timeoutMs(), r.policy(), r.requests(), r.webhook(), null,
                r.thresholds());
            return store(copy, every, cron, zone, overlap, catchUp, now);
          }
          HttpResponse refused = reply instanceof Job.StillRunning
              ? Problem.response(409, "Job still running", "job " + fromJob + " is still"
                  + " running: a schedule copies a finished job", "fromJob")
              : Problem.response(404, "Not found", "no job with id \"" + fromJob + "\"",
                  "fromJob");
          return CompletableFuture.completedFuture(refused);
        });
  }

  private CompletionStage<HttpResponse> store(JobRequest job, String every, String cron,
      String zone, String overlap, String catchUp, Instant now) {
    String id = UUID.randomUUID().toString();
    ScheduleSpec spec = new ScheduleSpec(id, job.name(), job, every, cron,
        zone == null ? "UTC" : zone, overlap, catchUp, now, now);
    return this.<Schedules.View>ask(r -> new Schedules.Create(spec, r))
        .thenApply(view -> Json.response(201, view)
            .addHeader(Location.create("/schedules/" + id)));
  }

  // ---- PATCH /schedules/{id} ----

  private CompletionStage<HttpResponse> update(String id, String body) {
    JsonNode root = Json.readRequest(body);
    if (root == null || !root.isObject() || root.isEmpty()) {
      throw Problem.badRequest("body", "expected a JSON object with one or more of "
          + PATCH_FIELDS);
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!PATCH_FIELDS.contains(f)) {
        throw Problem.badRequest(f, "unknown field \"" + f + "\"; expected " + PATCH_FIELDS);
      }
    }
    Boolean paused = null;
    if (root.has("paused")) {
      if (!root.get("paused").isBoolean()) {
        throw Problem.badRequest("paused", "\"paused\" must be true or false");
      }
      paused = root.get("paused").asBoolean();
    }
    String every = text(root, "every");
    String cron = text(root, "cron");
    if (every != null && cron != null) {
      throw Problem.badRequest("every", "give \"every\" or \"cron\", not both");
    }
    String zone = text(root, "zone");
    // Checked here as far as the patch alone allows; the schedule checks the whole.
    if (every != null || cron != null) timing(every, cron, zone, clock.instant());
    var patch = new Schedules.Patch(paused, every, cron, zone,
        root.has("overlap") ? choice(root, "overlap", ScheduleSpec.OVERLAPS, null) : null,
        root.has("catchUp") ? choice(root, "catchUp", ScheduleSpec.CATCH_UPS, null) : null);
    return this.<Schedules.UpdateReply>ask(r -> new Schedules.Update(id, patch, r))
        .thenApply(r -> {
          if (r instanceof Schedules.Found f) return Json.response(200, f.view());
          if (r instanceof Schedules.Invalid bad) {
            return Problem.badRequest(bad.field(), bad.message()).toResponse();
          }
          return noSuchSchedule(id);
        });
  }

  // ---- reading the body ----

  private static void timing(String every, String cron, String zone, Instant now) {
    try {
      Timing.of(every, cron, zone, now);
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      String field = m.startsWith("zone:") ? "zone" : m.startsWith("cron:") ? "cron" : "every";
      throw Problem.badRequest(field, m);
    }
  }

  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) return null;
    if (!n.isTextual() || n.asText().isBlank()) {
      throw Problem.badRequest(field, "\"" + field + "\" must be a non-empty string");
    }
    return n.asText().strip();
  }

  private static String choice(JsonNode root, String field, Set<String> allowed, String dflt) {
    String value = text(root, field);
    if (value == null) return dflt;
    if (!allowed.contains(value)) {
      throw Problem.badRequest(field, "\"" + field + "\" must be one of "
          + new java.util.TreeSet<>(allowed));
    }
    return value;
  }
}
