package io.fetchrunner.schedule;

import io.fetchrunner.Stages;
import io.fetchrunner.job.Job;
import io.fetchrunner.job.JobRequest;
import io.fetchrunner.job.JobStatus;
import io.fetchrunner.job.JobSupervisor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Firings as ordinary jobs: submitted through the job supervisor, asked of their entity. */
public final class JobLauncher implements Schedules.Launcher {
  private final ActorSystem<?> system;
  private final ActorRef<JobSupervisor.Command> supervisor;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final Function<String, CompletionStage<Map<String, JobRequest.Validators>>> validators;

  /**
   * {@code validators}: what a job's URLs got (ETag, Last-Modified), for a conditional
   * schedule's next run (the read side has them).
   */
  public JobLauncher(ActorSystem<?> system, ActorRef<JobSupervisor.Command> supervisor,
      ClusterSharding sharding, Duration askTimeout,
      Function<String, CompletionStage<Map<String, JobRequest.Validators>>> validators) {
    this.system = system;
    this.supervisor = supervisor;
    this.sharding = sharding;
    this.askTimeout = askTimeout;
    this.validators = validators;
  }

  @Override
  public CompletionStage<Boolean> running(String jobId) {
    return Stages.plain(sharding.entityRefFor(Job.TYPE_KEY, jobId).<Job.GetReply>ask(
            r -> new Job.Get(false, r), askTimeout))
        .thenApply(r -> r instanceof Job.Found f
            && f.view().summary().state() == JobStatus.RUNNING);
  }

  @Override
  public CompletionStage<String> submit(JobRequest request, String idempotencyKey,
      String previousJobId) {
    if (request.isConditional() && previousJobId != null) {
      return validators.apply(previousJobId).thenCompose(v ->
          submit(request.withValidators(v), idempotencyKey, null));
    }
    return Stages.plain(AskPattern.<JobSupervisor.Command, JobSupervisor.SubmitReply>ask(
            supervisor, r -> new JobSupervisor.Submit(request, idempotencyKey, r), askTimeout,
            system.scheduler()))
        .thenCompose(r -> r instanceof JobSupervisor.Submitted s
            ? CompletableFuture.completedFuture(s.summary().id())
            : CompletableFuture.failedFuture(new IllegalStateException(r.toString())));
  }
}
