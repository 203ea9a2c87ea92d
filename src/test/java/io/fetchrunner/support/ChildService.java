package io.fetchrunner.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real service in a child JVM (io.fetchrunner.Main, as the jar runs it), on a free port
 * and an H2 file in {@code dataDir}, so tests can stop it the hard way.
 */
public final class ChildService implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile("fetchrunner listening on http://127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final List<String> output = new ArrayList<>();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();

  private ChildService(Process process) {
    this.process = process;
    Thread reader = new Thread(this::readOutput, "child-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** {@code java ... io.fetchrunner.Main} with this JVM's classpath; later -D options win. */
  private static List<String> command(Path dataDir, String... systemProperties) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // The JVM options the service ships with (heap, collector), as the README starts it.
        "@conf/jvm.options",
        "-Dfetchrunner.http.port=0",
        "-Dfetchrunner.data-dir=" + dataDir,
        // The service's own logging (to its output, which tests read), not the test JVM's
        // logback-test.xml, which the shared classpath would otherwise pick.
        "-Dlogback.configurationFile=logback.xml"));
    cmd.addAll(List.of(systemProperties));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.fetchrunner.Main"));
    return cmd;
  }

  public static ChildService start(Path dataDir, String... systemProperties) {
    return launch(command(dataDir, systemProperties));
  }

  /** As {@link #start}, in a process whose open-file limit (soft and hard) is {@code limit}. */
  public static ChildService startUnderOpenFileLimit(int limit, Path dataDir,
      String... systemProperties) {
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c",
        "ulimit -n " + limit + " && exec \"$@\"", "sh"));
    cmd.addAll(command(dataDir, systemProperties));
    return launch(cmd);
  }

  /** As {@link #start}, in a process whose umask is {@code umask} (octal, e.g. "022"). */
  public static ChildService startUnderUmask(String umask, Path dataDir,
      String... systemProperties) {
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c",
        "umask " + umask + " && exec \"$@\"", "sh"));
    cmd.addAll(command(dataDir, systemProperties));
    return launch(cmd);
  }

  private static ChildService launch(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      ChildService child = new ChildService(p);
      child.port.get(60, TimeUnit.SECONDS);
      return child;
    } catch (Exception e) {
      throw new IllegalStateException("child service did not start: " + e, e);
    }
  }

  /** Starts a child that is expected to refuse to start; returns its exit code and output. */
  public static Exit startExpectingFailure(Path dataDir, String... systemProperties) {
    try {
      Process p = new ProcessBuilder(command(dataDir, systemProperties))
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("child did not exit: " + out);
      }
      return new Exit(p.exitValue(), out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public record Exit(int code, String output) {}

  public int port() {
    return port.join();
  }

  /** The child's process id (to attach to it). */
  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no flush, nothing. */
  public void kill() {
    process.destroyForcibly();
    await();
  }

  /** SIGTERM: Pekko's coordinated shutdown runs. Returns the exit code. */
  public int terminate() {
    process.destroy();
    return await();
  }

  /** Waits (up to 60 s) for the process to end by itself. Returns the exit code. */
  public int awaitExit() {
    return await();
  }

  public synchronized String output() {
    return String.join("\n", output);
  }

  private int await() {
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void readOutput() {
    try (var in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        synchronized (this) {
          output.add(line);
        }
        Matcher m = LISTENING.matcher(line);
        if (m.find()) port.complete(Integer.parseInt(m.group(1)));
      }
    } catch (IOException ignored) {
      // the process ended
    }
    port.completeExceptionally(new IllegalStateException("child exited: " + output()));
  }

  @Override
  public void close() {
    if (process.isAlive()) kill();
  }
}
