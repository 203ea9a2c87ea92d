package io.fetchrunner.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Several fetchrunner nodes as real processes on 127.0.0.1, in one Pekko cluster on a
 * PostgreSQL database of their own (dropped by {@link #close}). Node 0 and node 1 are the
 * seed nodes. Each node's output is kept, and written to target/test-logs when the cluster
 * closes.
 */
public final class TestCluster implements AutoCloseable {
  private final TestPostgres.Database db;
  private final Path base;
  private final String name;
  private final int[] remotingPorts;
  private final ChildService[] nodes;
  private final List<String> extra;
  private final List<String> logs = new ArrayList<>();

  private TestCluster(String name, int size, Path base, List<String> extra) {
    this.name = name;
    this.db = TestPostgres.createDatabase();
    this.base = base;
    this.extra = extra;
    this.remotingPorts = new int[size];
    this.nodes = new ChildService[size];
    for (int i = 0; i < size; i++) remotingPorts[i] = freePort();
  }

  /**
   * Starts {@code size} nodes one after the other and waits until every node sees all of them
   * up. {@code systemProperties} go to every node.
   */
  public static TestCluster start(String name, int size, Path base, String... systemProperties) {
    TestCluster cluster = new TestCluster(name, size, base, List.of(systemProperties));
    try {
      for (int i = 0; i < size; i++) cluster.startNode(i);
      cluster.awaitMembersUp(size, Duration.ofSeconds(60));
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** Starts node {@code i} (again, after a stop), on its own data directory and port. */
  public void startNode(int i) {
    if (nodes[i] != null) keepLog(i);
    List<String> props = new ArrayList<>(Arrays.asList(db.systemProperties("fetchrunner")));
    props.add("-Dfetchrunner.cluster.port=" + remotingPorts[i]);
    props.add("-Dfetchrunner.cluster.seed-nodes=127.0.0.1:" + remotingPorts[0]
        + (remotingPorts.length > 1 ? ",127.0.0.1:" + remotingPorts[1] : ""));
    props.addAll(extra);
    try {
      Path dir = Files.createDirectories(base.resolve("node" + i));
      nodes[i] = ChildService.start(dir, props.toArray(String[]::new));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public int size() {
    return nodes.length;
  }

  public ChildService node(int i) {
    return nodes[i];
  }

  public Api api(int i) {
    return new Api(nodes[i].port());
  }

  /** The Pekko address of node {@code i}, as GET /cluster names it. */
  public String address(int i) {
    return "pekko://fetchrunner@127.0.0.1:" + remotingPorts[i];
  }

  /** Index of the node with this address. */
  public int indexOf(String address) {
    for (int i = 0; i < nodes.length; i++) if (address(i).equals(address)) return i;
    throw new AssertionError("no node at " + address);
  }

  /** SIGKILL node {@code i}. */
  public void kill(int i) {
    nodes[i].kill();
  }

  /** SIGTERM node {@code i}; returns its exit status. */
  public int terminate(int i) {
    return nodes[i].terminate();
  }

  /** Waits until every running node's /health reports {@code up} members up, none unreachable. */
  public void awaitMembersUp(int up, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (int i = 0; i < nodes.length; i++) {
        if (nodes[i] == null || !nodes[i].isAlive()) continue;
        try {
          JsonNode c = api(i).get("/health").body().get("cluster");
          last = "node " + i + ": " + c;
          if (c.get("membersUp").asInt() != up || c.get("unreachable").asInt() != 0) all = false;
        } catch (RuntimeException e) {
          all = false;
          last = "node " + i + ": " + e;
        }
      }
      if (all) return;
      Api.sleep(200);
    }
    fail("the cluster did not show " + up + " members up within " + within + " (" + last + ")");
  }

  /** GET /cluster on node {@code via}: running jobs per node index. */
  public int[] runningJobs(int via) {
    int[] running = new int[nodes.length];
    for (JsonNode n : api(via).get("/cluster").body().get("nodes")) {
      if (!n.get("runningJobs").isNull()) {
        running[indexOf(n.get("address").asText())] = n.get("runningJobs").asInt();
      }
    }
    return running;
  }

  /**
   * Checks that the finished {@code job} recorded each of {@code paths} (on {@code target})
   * exactly once, with status 200, and that the target saw each at least once. Returns how
   * many the target saw more than once: fetched again after a node stopped.
   */
  public static int recordedOnce(JsonNode job, TargetServer target, List<String> paths) {
    Set<String> recorded = new HashSet<>();
    for (JsonNode r : job.get("results")) {
      assertTrue(recorded.add(r.get("url").asText()), "URL recorded twice: " + r);
      assertEquals(200, r.get("httpStatus").asInt(), () -> "failed: " + r);
    }
    assertEquals(paths.size(), recorded.size());
    int fetchedTwice = 0;
    for (String path : paths) {
      int hits = target.hits(path);
      assertTrue(hits >= 1, path + " was never fetched");
      if (hits > 1) fetchedTwice++;
    }
    return fetchedTwice;
  }

  private void keepLog(int i) {
    logs.add("==== node " + i + " (" + address(i) + ") ====\n" + nodes[i].output());
  }

  @Override
  public void close() {
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] == null) continue;
      nodes[i].close();
      keepLog(i);
    }
    try {
      Path dir = Files.createDirectories(Path.of("target", "test-logs"));
      Files.writeString(dir.resolve("cluster-" + name + ".log"),
          logs.stream().collect(Collectors.joining("\n")));
    } catch (IOException ignored) {
      // the logs are a help, not a result
    }
    db.close();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
