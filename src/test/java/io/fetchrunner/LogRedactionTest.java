package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The service's logging configurations write credentials in URLs as user:***@host. */
class LogRedactionTest {

  @ParameterizedTest
  @ValueSource(strings = {"src/main/resources/logback.xml", "src/test/resources/logback-test.xml"})
  void aLoggedUrlShowsNoPassword(String file) throws Exception {
    var captured = new ByteArrayOutputStream();
    PrintStream out = System.out;
    var context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    Path logs = Files.createTempDirectory("log-redaction");
    context.putProperty("test.logs.dir", logs.toString()); // the test configuration's file
    try {
      // The console appender takes System.out when it starts, while the file is read.
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      var configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(Path.of(file).toFile());
      var log = context.getLogger("io.fetchrunner.test");
      log.warn("fetching {} failed", "http://alice:Sesame-1@127.0.0.1:9/a");
      log.error("a failure", new IllegalStateException("cannot read https://Sesame-2@h/x",
          new RuntimeException("because of http://bob:Sesame-3@h/")));
    } finally {
      context.stop();
      System.setOut(out);
    }
    Path logFile = logs.resolve("tests.log");
    String text = captured.toString(StandardCharsets.UTF_8)
        + (Files.exists(logFile) ? Files.readString(logFile) : "");
    assertTrue(text.contains("fetching http://alice:***@127.0.0.1:9/a failed"), text);
    assertTrue(text.contains("IllegalStateException: cannot read https://***@h/x"), text);
    assertTrue(text.contains("because of http://bob:***@h/"), text);
    assertTrue(text.contains("at io.fetchrunner.LogRedactionTest"), "the stack trace: " + text);
    assertFalse(text.contains("Sesame"), text);
  }
}
