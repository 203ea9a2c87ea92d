package io.fetchrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;

/** Shows a followed job's progress: a live bar on a terminal, plain lines elsewhere. */
interface ProgressView extends AutoCloseable {
  /** A {@code progress} event's summary (with ratePerSecond and etaMs). */
  void progress(JsonNode summary);

  /** Something to say between the progress (a reconnection). */
  void note(String message);

  @Override
  void close();

  /** The view for where the client's output goes. */
  static ProgressView forOutput(PrintStream err, boolean terminal, Duration lineInterval) {
    return terminal ? new Bar(err) : new Lines(err, lineInterval);
  }

  /** No progress; notes (reconnections) still go to {@code err}. */
  static ProgressView none(PrintStream err) {
    return new ProgressView() {
      @Override
      public void progress(JsonNode summary) {}

      @Override
      public void note(String message) {
        err.println(message);
      }

      @Override
      public void close() {}
    };
  }

  /** {@code 120/2,000 done (6%): 118 ok, 2 failed, 0 cancelled; 41.3 URLs/s; ETA 45 s}. */
  static String line(JsonNode s) {
    long total = s.path("total").asLong();
    long done = Format.done(s);
    return String.format(Locale.ROOT, "%,d/%,d done (%d%%): %,d ok, %,d failed, %,d cancelled; %s; ETA %s",
        done, total, total == 0 ? 100 : done * 100 / total, s.path("succeeded").asLong(),
        s.path("failed").asLong(), s.path("cancelled").asLong(), rate(s), eta(s));
  }

  static String rate(JsonNode s) {
    JsonNode rate = s.path("ratePerSecond");
    return rate.isNumber() ? String.format(Locale.ROOT, "%.1f URLs/s", rate.asDouble()) : "- URLs/s";
  }

  static String eta(JsonNode s) {
    JsonNode eta = s.path("etaMs");
    return eta.isNumber() ? Format.duration(eta.asLong()) : "-";
  }

  /** Plain lines, at most one per interval (and every change of state), for logs and pipes. */
  final class Lines implements ProgressView {
    private final PrintStream err;
    private final long intervalNanos;
    private long lastPrinted = Long.MIN_VALUE;
    private String lastLine;

    Lines(PrintStream err, Duration interval) {
      this.err = err;
      this.intervalNanos = interval.toNanos();
    }

    @Override
    public void progress(JsonNode summary) {
      String line = line(summary);
      long now = System.nanoTime();
      boolean finished = summary.path("pending").asLong() == 0;
      if (line.equals(lastLine) || (!finished && lastPrinted != Long.MIN_VALUE
          && now - lastPrinted < intervalNanos)) {
        return;
      }
      lastPrinted = now;
      lastLine = line;
      err.println("progress " + line);
    }

    @Override
    public void note(String message) {
      err.println(message);
    }

    @Override
    public void close() {
      err.flush();
    }
  }

  /** The terminal's live bar (me.tongfei:progressbar), with the server's rate and ETA. */
  final class Bar implements ProgressView {
    private final PrintStream err;
    private ProgressBar bar;
    private volatile JsonNode last;

    Bar(PrintStream err) {
      this.err = err;
    }

    @Override
    public void progress(JsonNode summary) {
      last = summary;
      if (bar == null) {
        bar = new ProgressBarBuilder()
            .setTaskName(summary.path("name").asText("job"))
            .setInitialMax(summary.path("total").asLong())
            .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
            .setConsumer(new ConsoleProgressBarConsumer(err))
            .setUpdateIntervalMillis(250)
            .setEtaFunction(state -> {
              JsonNode s = last;
              return s != null && s.path("etaMs").isNumber()
                  ? Optional.of(Duration.ofMillis(s.path("etaMs").asLong()))
                  : Optional.empty();
            })
            .build();
      }
      bar.stepTo(Format.done(summary));
      bar.setExtraMessage(String.format(Locale.ROOT, "ok %,d failed %,d %s",
          summary.path("succeeded").asLong(), summary.path("failed").asLong(), rate(summary)));
    }

    @Override
    public void note(String message) {
      if (bar != null) bar.pause();
      err.println();
      err.println(message);
      if (bar != null) bar.resume();
    }

    @Override
    public void close() {
      if (bar != null) bar.close();
    }
  }
}
