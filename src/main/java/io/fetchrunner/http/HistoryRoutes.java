package io.fetchrunner.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.Settings;
import io.fetchrunner.Stages;
import io.fetchrunner.history.HistoryQueries;
import io.fetchrunner.history.HistoryReads;
import io.fetchrunner.history.HistoryReads.SqlCall;
import io.fetchrunner.history.JobHistoryProjection;
import io.fetchrunner.history.RunComparison;
import io.fetchrunner.job.JobRequest;
import io.fetchrunner.job.JobStatus;
import io.fetchrunner.job.JobSummary;
import io.fetchrunner.job.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The read side's API: the job list, the results export, the statistics, and the read side's
 * own status and rebuild. Everything here answers from the read side's tables, which follow
 * the journal with a short lag; {@code GET /jobs/{id}} (in {@link JobRoutes}) is the live view.
 */
public final class HistoryRoutes extends AllDirectives {
  static final ContentType.WithFixedCharset NDJSON =
      MediaTypes.applicationWithFixedCharset("x-ndjson", HttpCharsets.UTF_8, "ndjson")
          .toContentType();
  static final ContentType.WithCharset CSV = MediaTypes.TEXT_CSV.toContentType(HttpCharsets.UTF_8);
  static final String CSV_HEADER = "index,url,state,httpStatus,bytes,latencyMs,attempts,error,"
      + "contentType,sha256,redirects,earlierAttempts,errorKind,etag,lastModified,notModified\n";

  private final ActorSystem<?> system;
  private final HistoryQueries queries;
  private final ActorRef<JobHistoryProjection.Command> projection;
  private final Settings settings;
  /** The queries off the API's threads. */
  private final HistoryReads reads;

  public HistoryRoutes(ActorSystem<?> system, HistoryQueries queries,
      ActorRef<JobHistoryProjection.Command> projection, Settings settings) {
    this.system = system;
    this.queries = queries;
    this.projection = projection;
    this.settings = settings;
    this.reads = new HistoryReads(system.dispatchers().lookup(DispatcherSelector.blocking()));
  }

  public Route routes() {
    return concat(
        pathPrefix("jobs", () -> concat(
            pathEnd(() -> get(() -> parameters(LIST, this::list))),
            pathPrefix(PathMatchers.segment(), id -> concat(
                path("results", () -> get(() -> parameters(EXPORT, query -> export(id, query)))),
                pathPrefix("compare", () -> concat(
                    pathEnd(() -> get(() -> parameters(COMPARE, query ->
                        compare(id, query, false)))),
                    path("urls", () -> get(() -> parameters(COMPARE_URLS, query ->
                        compare(id, query, true)))))))))),
        path("stats", () -> get(() -> parameters(STATS, this::stats))),
        pathPrefix("admin", () -> pathPrefix("read-side", () -> concat(
            pathEnd(() -> get(() -> parameters(Set.of(), none ->
                completeWithFuture(query(() -> Json.response(200, queries.status())))))),
            path("rebuild", () -> post(() -> parameters(Set.of(), none ->
                completeWithFuture(rebuild()))))))));
  }

  private static final Set<String> LIST =
      Set.of("state", "name", "since", "until", "verdict", "scheduleId", "limit", "cursor");
  private static final Set<String> EXPORT = Set.of("format");
  private static final Set<String> COMPARE = Set.of("with");
  private static final Set<String> COMPARE_URLS = Set.of("with", "only");
  private static final Set<String> STATS = Set.of("since", "until", "name", "verdict");

  /** The query parameters, each one of {@code known} and given once (else a 400). */
  private Route parameters(Set<String> known,
      Function<Map<String, String>, Route> inner) {
    return parameterMultiMap(given -> inner.apply(QueryParameters.only(given, known)));
  }

  // ---- GET /jobs ----

  private Route list(Map<String, String> query) {
    var filter = filter(query, true, settings.jobs().maxNameLength());
    int limit = settings.http().listDefaultLimit();
    if (query.containsKey("limit")) {
      limit = positiveInt(query.get("limit"), "limit");
      if (limit > settings.http().listMaxLimit()) {
        throw Problem.badRequest("limit",
            "\"limit\" must be between 1 and " + settings.http().listMaxLimit());
      }
    }
    HistoryQueries.Cursor cursor = null;
    if (query.containsKey("cursor")) {
      cursor = HistoryQueries.Cursor.decode(query.get("cursor"));
      if (cursor == null) {
        throw Problem.badRequest("cursor",
            "\"cursor\" is not a cursor from a previous page's nextCursor");
      }
    }
    var after = cursor;
    int pageSize = limit;
    return completeWithFuture(query(() -> {
      HistoryQueries.Page page = queries.list(filter, after, pageSize);
      ObjectNode body = Json.mapper().createObjectNode();
      var jobs = body.putArray("jobs");
      for (JobSummary s : page.jobs()) jobs.add(Json.mapper().valueToTree(s));
      body.put("nextCursor", page.next() == null ? null : page.next().encode());
      return Json.response(200, body);
    }));
  }

  // ---- GET /stats ----

  private Route stats(Map<String, String> query) {
    var filter = filter(query, false, settings.jobs().maxNameLength());
    return completeWithFuture(query(() ->
        Json.response(200, queries.stats(filter, settings.history().slowestHosts()))));
  }

  // ---- GET /jobs/{id}/results ----

  private Route export(String given, Map<String, String> query) {
    String format = query.getOrDefault("format", "ndjson");
    if (!format.equals("ndjson") && !format.equals("csv")) {
      throw Problem.badRequest("format", "\"format\" must be ndjson or csv");
    }
    var jobId = JobRoutes.jobId(given);
    if (jobId.isEmpty()) return complete(noSuchJob(given));
    String id = jobId.get();
    return completeWithFuture(query(() -> {
      if (!queries.exists(id)) return noSuchJob(id);
      boolean csv = format.equals("csv");
      Source<ByteString, ?> rows = Source.unfoldResource(
          () -> new int[] {-1},
          after -> {
            List<HistoryQueries.ResultRow> page =
                queries.results(id, after[0], settings.history().exportPageRows());
            if (page.isEmpty()) return Optional.empty();
            after[0] = page.get(page.size() - 1).index();
            return Optional.of(csv ? csvLines(page) : ndjsonLines(page));
          },
          after -> { });
      Source<ByteString, ?> body = csv
          ? Source.single(ByteString.fromString(CSV_HEADER)).concat(rows) : rows;
      return HttpResponse.create().withStatus(200)
          .addHeader(RawHeader.create("Content-Disposition",
              "attachment; filename=\"" + id + "." + format + "\""))
          .withEntity(HttpEntities.createChunked(csv ? CSV : NDJSON, body));
    }));
  }

  // ---- GET /jobs/{id}/compare and /jobs/{id}/compare/urls ----

  /**
   * A finished job against another ({@code with}, else its previous finished run of the same
   * name): the summary as JSON, or every URL ({@code urls}) as NDJSON, {@code only=changed}
   * leaving out those that stayed the same.
   */
  private Route compare(String given, Map<String, String> query, boolean urls) {
    String only = query.getOrDefault("only", "all");
    if (!only.equals("all") && !only.equals("changed")) {
      throw Problem.badRequest("only", "\"only\" must be all or changed");
    }
    var jobId = JobRoutes.jobId(given);
    if (jobId.isEmpty()) return complete(noSuchJob(given));
    String id = jobId.get();
    String with = null;
    if (query.containsKey("with")) {
      with = JobRoutes.jobId(query.get("with").strip()).orElseThrow(() -> Problem.badRequest(
          "with", "\"with\" must be a job id"));
      if (with.equals(id)) {
        throw Problem.badRequest("with", "\"with\" must be another job than the one compared");
      }
    }
    String asked = with;
    return completeWithFuture(query(() -> {
      Optional<JobSummary> job = queries.finished(id);
      if (job.isEmpty()) return notComparable(id, null);
      String other = asked != null ? asked : queries.previousFinished(id).orElse(null);
      if (other == null) {
        return Problem.response(404, "Not found", "job " + id + " (\"" + job.get().name()
            + "\") has no earlier finished run of the same name: give another job as ?with=",
            "with");
      }
      Optional<JobSummary> otherJob = queries.finished(other);
      if (otherJob.isEmpty()) return notComparable(other, "with");
      var comparison = RunComparison.of(job.get(),
          queries.results(id, -1, job.get().total()), otherJob.get(),
          queries.results(other, -1, otherJob.get().total()));
      if (!urls) return Json.response(200, comparison.summary());
      var lines = comparison.urls().stream()
          .filter(u -> only.equals("all") || !u.change().equals(RunComparison.SAME))
          .toList();
      Source<ByteString, ?> body = Source.from(lines).grouped(500).map(page -> {
        var out = new ByteArrayOutputStream(page.size() * 200);
        for (RunComparison.Url u : page) {
          Json.mapper().writeValue(out, u);
          out.write('\n');
        }
        return ByteString.fromArray(out.toByteArray());
      });
      return HttpResponse.create().withStatus(200)
          .withEntity(HttpEntities.createChunked(NDJSON, body));
    }));
  }

  /** 404 for a job the history does not have; 409 for one not finished (or not all there). */
  private HttpResponse notComparable(String id, String field) throws SQLException {
    if (!queries.exists(id)) {
      return Problem.response(404, "Not found", "no job with id \"" + id + "\" in the history",
          field);
    }
    return Problem.response(409, "Job not finished", "job " + id + " has not finished (or the"
        + " history has not recorded all its results yet): only finished runs are compared",
        field);
  }

  private static ByteString ndjsonLines(List<HistoryQueries.ResultRow> rows) {
    var out = new ByteArrayOutputStream(rows.size() * 160);
    try {
      for (HistoryQueries.ResultRow r : rows) {
        out.write(Json.mapper().writeValueAsBytes(r));
        out.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ByteString.fromArray(out.toByteArray());
  }

  static ByteString csvLines(List<HistoryQueries.ResultRow> rows) {
    var sb = new StringBuilder(rows.size() * 128);
    for (HistoryQueries.ResultRow r : rows) {
      sb.append(r.index()).append(',').append(csv(r.url())).append(',').append(r.state())
          .append(',').append(r.httpStatus() == null ? "" : r.httpStatus())
          .append(',').append(r.bytes() == null ? "" : r.bytes())
          .append(',').append(r.latencyMs() == null ? "" : r.latencyMs())
          .append(',').append(r.attempts())
          .append(',').append(csv(r.error()))
          .append(',').append(csv(r.contentType()))
          .append(',').append(csv(r.sha256()))
          // redirects separated by spaces (a URL has none); earlier attempts as JSON
          .append(',').append(csv(String.join(" ", r.redirects())))
          .append(',').append(csv(r.earlierAttempts().isEmpty() ? null
              : jsonText(r.earlierAttempts())))
          .append(',').append(csv(r.errorKind()))
          .append(',').append(csv(r.etag()))
          .append(',').append(csv(r.lastModified()))
          .append(',').append(r.notModified() == null ? "" : r.notModified())
          .append('\n');
    }
    return ByteString.fromArray(sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String jsonText(Object value) {
    try {
      return Json.mapper().writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** RFC 4180 quoting: only when needed, quotes doubled; null is an empty field. */
  private static String csv(String value) {
    if (value == null) return "";
    if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0
        && value.indexOf('\r') < 0) {
      return value;
    }
    return '"' + value.replace("\"", "\"\"") + '"';
  }

  // ---- POST /admin/read-side/rebuild ----

  private CompletionStage<HttpResponse> rebuild() {
    return Stages.plain(AskPattern.askWithStatus(projection, JobHistoryProjection.Rebuild::new,
            settings.http().askTimeout(), system.scheduler()))
        .thenApply(started -> {
          ObjectNode body = Json.mapper().createObjectNode();
          body.put("status", "REBUILDING");
          body.put("detail", "the read side was emptied and is replaying the journal;"
              + " GET /admin/read-side shows how far it is (behind = 0 when done)");
          return Json.response(202, body);
        })
        .exceptionally(ProblemMapping::response);
  }

  // ---- parameters ----

  private static HistoryQueries.JobFilter filter(Map<String, String> query, boolean withState,
      int maxNameLength) {
    JobStatus state = null;
    if (withState && query.containsKey("state")) {
      try {
        state = JobStatus.valueOf(query.get("state").strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw Problem.badRequest("state", "\"state\" must be RUNNING, COMPLETED or CANCELLED");
      }
    }
    String name = null;
    if (query.containsKey("name")) {
      name = query.get("name");
      if (name.isEmpty()) throw Problem.badRequest("name", "\"name\" must not be empty");
      if (name.length() > maxNameLength) {
        throw Problem.badRequest("name", "\"name\" is longer than " + maxNameLength
            + " characters, the longest a job name can be");
      }
    }
    Instant since = instant(query, "since");
    Instant until = instant(query, "until");
    if (since != null && until != null && !since.isBefore(until)) {
      throw Problem.badRequest("until", "\"until\" must be after \"since\"");
    }
    String verdict = null;
    if (query.containsKey("verdict")) {
      verdict = query.get("verdict").strip().toUpperCase(Locale.ROOT);
      if (!verdict.equals(Verdict.PASSED) && !verdict.equals(Verdict.FAILED)) {
        throw Problem.badRequest("verdict", "\"verdict\" must be PASSED or FAILED");
      }
    }
    String scheduleId = query.get("scheduleId");
    if (scheduleId != null && JobRoutes.jobId(scheduleId.strip()).isEmpty()) {
      throw Problem.badRequest("scheduleId", "\"scheduleId\" must be a schedule id");
    }
    return new HistoryQueries.JobFilter(state, name, since, until, verdict,
        scheduleId == null ? null : JobRoutes.jobId(scheduleId.strip()).get());
  }

  private static Instant instant(Map<String, String> query, String field) {
    String value = query.get(field);
    if (value == null) return null;
    try {
      return OffsetDateTime.parse(value.strip()).toInstant();
    } catch (DateTimeParseException e) {
      throw Problem.badRequest(field, "\"" + field + "\" must be an ISO-8601 instant such as"
          + " 2026-11-19T00:00:00Z");
    }
  }

  private static int positiveInt(String value, String field) {
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= 1) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw Problem.badRequest(field, "\"" + field + "\" must be a positive integer");
  }


  /** How long a summary lookup may take before the job itself is asked instead. */
  private static final Duration SUMMARY_LOOKUP_LIMIT = Duration.ofMillis(200);

  /**
   * The summary of a finished job from the read side, so that asking about an old job does
   * not load it (a 100,000-URL job takes a second or more to recover). Empty when the read
   * side cannot answer for it, on a store error, or when the lookup takes longer than
   * {@link #SUMMARY_LOOKUP_LIMIT} (the history connections busy with exports): the job itself
   * is asked then, so polling a running job never waits on the history store.
   */
  CompletionStage<Optional<JobSummary>> finishedJob(String id) {
    return summary(id, () -> queries.finished(id));
  }

  /** The job's summary on the read side, whatever its state (see HistoryQueries#latest). */
  CompletionStage<Optional<JobSummary>> latestOfJob(String id) {
    return summary(id, () -> queries.latest(id));
  }

  /**
   * What the URLs of the latest finished job named {@code name} got (ETag, Last-Modified),
   * for a conditional job of that name; empty when there is none or the store does not answer.
   */
  CompletionStage<Map<String, JobRequest.Validators>> previousValidators(String name) {
    return validators(() -> queries.latestFinishedNamed(name).orElse(null));
  }

  /** What the URLs of job {@code jobId} got (a schedule's previous run). */
  public CompletionStage<Map<String, JobRequest.Validators>> validatorsOf(String jobId) {
    return validators(() -> jobId);
  }

  private CompletionStage<Map<String, JobRequest.Validators>> validators(SqlCall<String> job) {
    return reads.orElse(Map.of(), () -> {
      String id = job.run();
      return id == null ? Map.<String, JobRequest.Validators>of() : queries.validators(id);
    }, "the previous run's validators (the job asks unconditionally)");
  }

  private CompletionStage<Optional<JobSummary>> summary(String id,
      SqlCall<Optional<JobSummary>> call) {
    return reads.orElse(Optional.<JobSummary>empty(), call,
            "summary of job " + id + " (asking the job)")
        .toCompletableFuture()
        .completeOnTimeout(Optional.empty(), SUMMARY_LOOKUP_LIMIT.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  // ---- running queries and answering ----

  /** The answer of a query ({@link HistoryReads}); store errors become 503. */
  private CompletionStage<HttpResponse> query(SqlCall<HttpResponse> q) {
    return reads.call(q).exceptionally(ProblemMapping::response);
  }

  private static HttpResponse noSuchJob(String id) {
    return Problem.notFound("no job with id \"" + id + "\" in the history (a job appears"
        + " there shortly after it is submitted)").toResponse();
  }

}
