package io.fetchrunner.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless chromium driven through its chromedriver (Selenium), with a fresh empty
 * profile, no network of its own (no updates, sync or QUIC; the tests only reach 127.0.0.1),
 * the page's console kept for {@link #consoleErrors()}, and full-page screenshots at a given
 * viewport width (375 px: a phone).
 */
public final class Browser implements AutoCloseable {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  public static final String INSTALL = "apt-get install -y chromium chromium-driver";
  /** Selenium logs through java.util.logging, to the console; the tests' console stays clean. */
  private static final Logger SELENIUM_LOG = Logger.getLogger("org.openqa.selenium");

  private final ChromeDriver driver;
  private final Path profile;
  private final List<String> console = new ArrayList<>();
  private int width;

  /** Skips the calling test (never passes it) when Debian's chromium or its driver is absent. */
  public static void assumeInstalled() {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "needs Debian's chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
            + ": " + INSTALL);
  }

  public Browser(int width, int height) {
    SELENIUM_LOG.setLevel(Level.OFF);
    try {
      profile = Files.createTempDirectory("fetchrunner-chromium-");
      Path logs = Path.of(System.getProperty("test.logs.dir", "target/test-logs"));
      Files.createDirectories(logs);
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      options.addArguments("--headless", "--no-sandbox", "--disable-gpu",
          "--disable-background-networking", "--disable-component-update", "--no-first-run",
          "--disable-quic", "--disable-sync", "--user-data-dir=" + profile,
          "--window-size=" + width + "," + height);
      LoggingPreferences prefs = new LoggingPreferences();
      prefs.enable(LogType.BROWSER, Level.ALL);
      options.setCapability("goog:loggingPrefs", prefs);
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(CHROMEDRIVER.toFile())
          .withLogFile(logs.resolve("chromedriver.log").toFile())
          .usingAnyFreePort()
          .build();
      driver = new ChromeDriver(service, options);
      viewport(width, height);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public WebDriver driver() {
    return driver;
  }

  public Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** Waits until {@code condition} gives something other than null or false. */
  public <T> T await(String what, Duration within, Function<WebDriver, T> condition) {
    try {
      return new WebDriverWait(driver, within, Duration.ofMillis(100)).until(condition);
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("waited " + within + " for " + what + "; console: "
          + consoleErrors(), e);
    }
  }

  /** Sets the viewport (CSS pixels) as a device would: 375 wide is a phone's width. */
  public void viewport(int width, int height) {
    this.width = width;
    driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of(
        "width", width, "height", height, "deviceScaleFactor", 1, "mobile", width < 600));
  }

  /** Downloads go to {@code dir}, without asking. */
  public void downloadTo(Path dir) {
    driver.executeCdpCommand("Browser.setDownloadBehavior",
        Map.of("behavior", "allow", "downloadPath", dir.toAbsolutePath().toString()));
  }

  /** A PNG of the whole page at the current width, into {@code dir/name.png}. */
  public Path screenshot(Path dir, String name) {
    long height = ((Number) js("return Math.max(document.documentElement.scrollHeight,"
        + " document.body.scrollHeight)")).longValue();
    Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of(
        "format", "png", "captureBeyondViewport", true,
        "clip", Map.of("x", 0, "y", 0, "width", width, "height", Math.min(height, 6000),
            "scale", 1)));
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve(name + ".png");
      Files.write(file, Base64.getDecoder().decode((String) shot.get("data")));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The page's console errors (and failed loads) since the last call, and earlier ones. */
  public List<String> consoleErrors() {
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= Level.SEVERE.intValue()) console.add(e.getMessage());
    }
    return List.copyOf(console);
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      } catch (IOException ignored) {
        // a temporary directory
      }
    }
  }
}
