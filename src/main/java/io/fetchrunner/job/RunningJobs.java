package io.fetchrunner.job;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import io.fetchrunner.Stages;

/**
 * The jobs running on this node, by id: a graceful shutdown asks each to stop starting
 * fetches and to store the results of those in flight before the node goes away, and the
 * API asks a running job itself for its progress (the read side is behind it).
 */
public final class RunningJobs {
  private final Map<String, ActorRef<Job.Command>> jobs = new ConcurrentHashMap<>();

  void add(String id, ActorRef<Job.Command> job) {
    jobs.put(id, job);
  }

  void remove(String id, ActorRef<Job.Command> job) {
    jobs.remove(id, job);
  }

  /** Whether the job runs on this node now. */
  public boolean contains(String id) {
    return jobs.containsKey(id);
  }

  public int size() {
    return jobs.size();
  }

  /**
   * Asks every running job to drain, and completes when all have stored what was in flight
   * or {@code within} has passed (what is still in flight then is fetched again on resume).
   */
  public CompletableFuture<Done> drain(ActorSystem<?> system, Duration within) {
    List<CompletableFuture<Done>> all = jobs.values().stream()
        .map(job -> Stages.plain(AskPattern.<Job.Command, Done>ask(job, Job.Drain::new, within,
                system.scheduler()))
            .exceptionally(e -> Done.getInstance()))
        .toList();
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(v -> Done.getInstance());
  }
}
