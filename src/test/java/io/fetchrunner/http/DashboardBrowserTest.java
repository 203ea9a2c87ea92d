package io.fetchrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.FetchRunner;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.Browser;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TargetServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/**
 * The dashboard in a real browser (Debian's headless chromium) against a real service with a
 * token and a real target: asked for the token once, a job submitted by pasting URLs from the
 * keyboard, its progress to 100 %, one waterfall bar per URL, the failure grouped, the
 * runtime chart and the stats, at 1280 px and at a phone's 375 px; no console errors. Saves
 * screenshots under target/screenshots/ (the README's come from there).
 */
class DashboardBrowserTest {
  private static final String TOKEN = "dashboard-test-token";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Path SHOTS =
      Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");
  private static TargetServer target;

  @BeforeAll
  static void start() {
    Browser.assumeInstalled();
    target = new TargetServer();
  }

  @AfterAll
  static void stop() {
    if (target != null) target.close();
  }

  private static List<String> urls(String tag, int n, int delayMs) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < n; i++) urls.add(target.url("/delay/" + delayMs + "?" + tag + "=" + i));
    return urls;
  }

  private static String config() {
    return "fetchrunner.http.api-token = \"" + TOKEN + "\"\n";
  }

  /** Answers the token dialog; fails unless it is open. */
  private static void giveToken(Browser b) {
    b.await("the token dialog", WAIT,
        d -> (Boolean) b.js("return document.getElementById('token-dialog').open"));
    WebElement input = b.driver().findElement(By.id("token-input"));
    input.sendKeys(TOKEN, Keys.ENTER);
    b.await("the dialog to close", WAIT,
        d -> !(Boolean) b.js("return document.getElementById('token-dialog').open"));
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      return List.of(); // not (fully) written yet
    }
  }

  private static String attr(Browser b, String id, String name) {
    return b.driver().findElement(By.id(id)).getDomAttribute(name);
  }

  @Test
  void aJobSubmittedFromTheDashboardIsFollowedToItsEndAndChartedAtDesktopAndPhoneWidth(
      @TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, config());
        Browser b = new Browser(1280, 900)) {
      Api api = new Api(service.port(), TOKEN);
      // Earlier runs of the same name, so the runtime chart has a history to show.
      for (int concurrency : new int[] {1, 2, 6}) {
        String id = api.submit(Map.of("name", "nightly crawl", "concurrency", concurrency,
            "urls", urls("c" + concurrency, 6, 250)));
        api.awaitFinished(id, WAIT);
      }
      api.awaitFinished(api.submit(Map.of("name", "sitemap check", "concurrency", 4,
          "urls", urls("s", 8, 150))), WAIT);

      b.driver().get("http://127.0.0.1:" + service.port() + "/");
      giveToken(b);
      b.await("the history", WAIT, d -> d.findElement(By.id("jobs-table")).getText()
          .contains("sitemap check"));

      // The keyboard alone reaches the submit button, in reading order, with a visible ring.
      List<String> order = new ArrayList<>();
      for (int i = 0; i < 20 && !order.contains("submit-button"); i++) {
        new Actions(b.driver()).sendKeys(Keys.TAB).perform();
        order.add((String) b.js("const e = document.activeElement;"
            + " return e.id || e.textContent.trim();"));
      }
      assertEquals(List.of("Skip to content", "fetchrunner", "Jobs", "Runtimes", "Stats",
          "Schedules", "job-name", "job-urls", "job-concurrency", "submit-button"), order);
      assertEquals("button", b.js("return document.activeElement.tagName.toLowerCase()"));
      assertNotEquals("none", b.js("return getComputedStyle(document.activeElement).outlineStyle"),
          "the focused button shows a focus ring");

      // Paste URLs: slow ones, fast ones and one that fails; submit from the keyboard.
      List<String> pasted = new ArrayList<>(urls("slow", 3, 1500));
      pasted.addAll(urls("fast", 4, 200));
      pasted.add(target.url("/status/404?broken"));
      b.driver().findElement(By.id("job-name")).sendKeys("nightly crawl");
      b.driver().findElement(By.id("job-urls")).sendKeys(String.join("\n", pasted));
      b.driver().findElement(By.id("job-concurrency")).sendKeys("4", Keys.TAB);
      assertEquals("submit-button", b.js("return document.activeElement.id"));
      new Actions(b.driver()).sendKeys(Keys.ENTER).perform();

      // The job's view: progress to 100 %, a waterfall bar per URL, the failure grouped.
      b.await("the job's view", WAIT, d -> d.getCurrentUrl().contains("#/jobs/"));
      b.await("progress at 100 %", WAIT, d -> "100".equals(attr(b, "job-progress", "data-percent"))
          && "COMPLETED".equals(attr(b, "job-progress", "data-state")));
      String progress = b.driver().findElement(By.id("progress-text")).getText();
      assertTrue(progress.startsWith("8 / 8 (100 %) · 7 ok · 1 failed"), progress);
      b.await("one waterfall bar per URL", WAIT,
          d -> "8".equals(attr(b, "waterfall", "data-bars")));
      assertEquals("per-url", attr(b, "waterfall", "data-mode"));
      b.await("the failure grouped", WAIT, d -> "1".equals(attr(b, "failures", "data-groups")));
      String failures = b.driver().findElement(By.id("failures")).getText();
      assertTrue(failures.contains("HTTP 404") && failures.contains("http-status"), failures);
      b.await("the latency histogram", WAIT,
          d -> !d.findElements(By.cssSelector("#histogram canvas")).isEmpty());
      assertEquals(8, b.driver().findElements(By.cssSelector("#results-table tbody tr")).size());
      b.screenshot(SHOTS, "job-1280");

      // The skip link takes the keyboard to the view and leaves the view where it is.
      String jobUrl = b.driver().getCurrentUrl();
      b.js("document.querySelector('.skip').focus()");
      new Actions(b.driver()).sendKeys(Keys.ENTER).perform();
      assertEquals("view", b.js("return document.activeElement.id"));
      assertEquals(jobUrl, b.driver().getCurrentUrl());

      // The CSV download: fetched with the token, handed to the browser as a file.
      String id = jobUrl.replaceAll(".*#/jobs/", "");
      Path downloads = dir.resolve("downloads");
      b.downloadTo(downloads);
      b.driver().findElement(By.id("download-csv")).click();
      Path csv = downloads.resolve(id + ".csv");
      b.await("the CSV file", WAIT, d -> Files.exists(csv) && lines(csv).size() == 9);
      assertTrue(lines(csv).get(0).startsWith("index,url,state,"), () -> lines(csv).get(0));
      assertTrue(lines(csv).stream().anyMatch(l -> l.contains("/status/404?broken,FAILED,404")),
          () -> String.join("\n", lines(csv)));

      // Runtimes: the chart of "nightly crawl" with its four runs, and "sitemap check".
      b.driver().findElement(By.linkText("Runtimes")).click();
      b.await("the runtime charts", WAIT, d -> "2".equals(attr(b, "runtimes", "data-charts")));
      assertEquals("5", attr(b, "runtimes", "data-points"));
      assertEquals(2, b.driver().findElements(By.cssSelector(".runtime-chart canvas")).size());
      assertTrue(b.driver().findElement(By.id("runtimes-overall")).getText()
          .startsWith("5 finished jobs took"));
      b.screenshot(SHOTS, "runtimes-1280");

      b.driver().findElement(By.linkText("Stats")).click();
      b.await("the slowest hosts", WAIT, d -> "1".equals(attr(b, "stats", "data-hosts")));
      assertTrue(b.driver().findElement(By.id("stats")).getText().contains("127.0.0.1:"
          + target.port()));
      b.screenshot(SHOTS, "stats-1280");

      b.driver().findElement(By.linkText("Jobs")).click();
      b.await("the history", WAIT,
          d -> d.findElements(By.cssSelector("#jobs-table tbody tr")).size() == 5);
      b.screenshot(SHOTS, "jobs-1280");
      // Filters: by name, then by state.
      b.driver().findElement(By.id("filter-name")).sendKeys("SITEMAP", Keys.ENTER);
      b.await("one job named like it", WAIT,
          d -> d.findElements(By.cssSelector("#jobs-table tbody tr")).size() == 1);
      assertTrue(b.driver().findElement(By.id("jobs-table")).getText().contains("sitemap check"));
      b.driver().findElement(By.id("filter-name")).clear();
      new org.openqa.selenium.support.ui.Select(b.driver().findElement(By.id("filter-state")))
          .selectByValue("CANCELLED");
      b.driver().findElement(By.id("filter-name")).sendKeys(Keys.ENTER);
      b.await("no cancelled job", WAIT, d -> d.findElement(By.id("jobs-table")).getText()
          .contains("No jobs match."));

      assertEquals("1", attr(b, "token-dialog", "data-asked"), "asked once, across the views");

      // A phone's width: nothing wider than the screen, the views still work.
      b.viewport(375, 812);
      b.driver().navigate().refresh();
      b.await("the history", WAIT,
          d -> d.findElements(By.cssSelector("#jobs-table tbody tr")).size() == 5);
      assertEquals(375L, b.js("return document.documentElement.scrollWidth"),
          "the page is no wider than the phone");
      b.screenshot(SHOTS, "jobs-375");
      b.driver().findElement(By.cssSelector("#jobs-table tbody tr a")).click();
      b.await("one waterfall bar per URL", WAIT,
          d -> "8".equals(attr(b, "waterfall", "data-bars")));
      assertEquals(375L, b.js("return document.documentElement.scrollWidth"));
      b.screenshot(SHOTS, "job-375");

      // The reloaded page had the token from the tab's session: not asked again.
      assertEquals("0", attr(b, "token-dialog", "data-asked"));
      assertEquals(List.of(), b.consoleErrors(), "the browser's console");
    }
  }

  @Test
  void aRunningJobShowsLiveAndIsCancelledFromTheDashboard(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, config());
        Browser b = new Browser(1280, 900)) {
      Api api = new Api(service.port(), TOKEN);
      b.driver().get("http://127.0.0.1:" + service.port() + "/#/jobs");
      giveToken(b);
      b.await("the history", WAIT, d -> d.findElement(By.id("jobs-table")).getText()
          .contains("No jobs match."));

      // Submitted elsewhere: the list learns of it from GET /events.
      String id = api.submit(Map.of("name", "long one", "concurrency", 1,
          "urls", urls("long", 3, 30_000)));
      By running = By.cssSelector("#running-list li[data-job-id='" + id + "']");
      b.await("the job running", WAIT, d -> !d.findElements(running).isEmpty());
      b.driver().findElement(running).findElement(By.linkText("long one")).click();
      b.await("the cancel button", WAIT, d -> d.findElement(By.id("cancel-job")).isDisplayed());
      b.driver().findElement(By.id("cancel-job")).click();
      b.await("the job cancelled", WAIT,
          d -> "CANCELLED".equals(attr(b, "job-progress", "data-state")));
      assertFalse(b.driver().findElement(By.id("cancel-job")).isDisplayed());
      assertEquals("CANCELLED", api.get("/jobs/" + id + "?results=false").body().get("state")
          .asText());
      assertEquals("1", attr(b, "token-dialog", "data-asked"));
      assertEquals(List.of(), b.consoleErrors(), "the browser's console");
    }
  }

  @Test
  void theWaterfallOf100000UrlsIsDrawnAggregatedWithItsFailuresVisible(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "");
        Browser b = new Browser(1280, 900)) {
      b.driver().get("http://127.0.0.1:" + service.port() + "/");
      b.await("the page", WAIT, d -> d.findElement(By.id("submit-button")).isDisplayed());
      // 100,000 bars handed to the page's own waterfall module; the 5,000 from the 40,000th on
      // failed (a host that was down for a while).
      @SuppressWarnings("unchecked")
      Map<String, Object> drawn = (Map<String, Object>) ((org.openqa.selenium.JavascriptExecutor)
          b.driver()).executeAsyncScript("""
              const done = arguments[arguments.length - 1];
              import('/dashboard/waterfall.js').then(({ Waterfall }) => {
                const n = 100000;
                const starts = new Float64Array(n), latencies = new Float64Array(n);
                const states = new Uint8Array(n);
                let seed = 42;
                const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
                for (let i = 0; i < n; i++) {
                  starts[i] = 1.7e12 + i * 0.2 + random() * 50;
                  latencies[i] = 20 + random() * 400;
                  states[i] = i >= 40000 && i < 45000 ? 1 : 0;
                }
                const canvas = document.createElement('canvas');
                const holder = document.createElement('div');
                holder.append(canvas);
                document.getElementById('view').append(holder);
                const waterfall = new Waterfall(canvas);
                waterfall.data = { starts, latencies, states, count: n };
                const t = performance.now();
                waterfall.redraw();
                const ms = performance.now() - t;
                const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let red = 0, green = 0;
                for (let p = 0; p < pixels.length; p += 4) {
                  if (pixels[p + 3] === 0) continue;
                  if (pixels[p] > 150 && pixels[p + 1] < 80) red++;
                  if (pixels[p + 1] > 100 && pixels[p] < 60) green++;
                }
                holder.id = 'big-waterfall';
                done({ ms, red, green, bars: canvas.dataset.bars, mode: canvas.dataset.mode,
                  rows: canvas.dataset.rows, height: canvas.height });
              }).catch((e) => done({ error: String(e) }));
              """);
      assertEquals("100000", drawn.get("bars"), drawn::toString);
      assertEquals("aggregated", drawn.get("mode"), drawn::toString);
      assertEquals("240", drawn.get("rows"), "bucketed into 2-pixel rows: " + drawn);
      assertTrue(((Number) drawn.get("red")).longValue() > 0, "the failures show: " + drawn);
      assertTrue(((Number) drawn.get("green")).longValue() > ((Number) drawn.get("red")).longValue(),
          "most of it succeeded: " + drawn);
      // How long one redraw took (reported, not asserted: machines differ).
      System.out.printf("waterfall of 100,000 URLs: one redraw took %.0f ms%n",
          ((Number) drawn.get("ms")).doubleValue());
      b.js("document.getElementById('big-waterfall').scrollIntoView()");
      b.screenshot(SHOTS, "waterfall-100000");
      assertEquals(List.of(), b.consoleErrors(), "the browser's console");
    }
  }

  @Test
  void aRefusedTokenIsAskedForAgain(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, config());
        Browser b = new Browser(1280, 900)) {
      String page = "http://127.0.0.1:" + service.port() + "/";
      b.driver().get(page);
      b.await("the token dialog", WAIT,
          d -> (Boolean) b.js("return document.getElementById('token-dialog').open"));
      // A token kept from before that the service no longer takes.
      b.js("sessionStorage.setItem('fetchrunner.token', 'stale')");
      b.driver().navigate().refresh();
      b.await("the dialog, saying why", WAIT, d -> (Boolean) b.js(
          "return document.getElementById('token-dialog').open"
              + " && !document.getElementById('token-error').hidden"));
      assertTrue(b.driver().findElement(By.id("token-error")).getText().contains("refused"));
      giveToken(b);
      b.await("the history", WAIT, d -> d.findElement(By.id("jobs-table")).getText()
          .contains("No jobs match."));
      assertEquals(TOKEN, b.js("return sessionStorage.getItem('fetchrunner.token')"));
      // The browser reports the refused calls themselves, and nothing else.
      List<String> errors = b.consoleErrors();
      assertFalse(errors.isEmpty());
      assertTrue(errors.stream().allMatch(e -> e.contains("401")), errors::toString);
    }
  }

  @Test
  void theHistoryPagesWithItsCursor(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "");
        Browser b = new Browser(1280, 900)) {
      Api api = new Api(service.port());
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 23; i++) {
        ids.add(api.submit(Map.of("name", "job " + i, "urls", urls("p" + i, 1, 0))));
      }
      for (String id : ids) api.awaitFinished(id, WAIT);
      api.awaitReadSide(WAIT);
      b.driver().get("http://127.0.0.1:" + service.port() + "/");
      By rows = By.cssSelector("#jobs-table tbody tr");
      b.await("the first page", WAIT, d -> d.findElements(rows).size() == 20);
      assertTrue(b.driver().findElement(By.id("jobs-table")).getText().contains("job 22"),
          "newest first");
      assertFalse(b.driver().findElement(By.id("page-older")).getDomProperty("disabled")
          .equals("true"));
      b.driver().findElement(By.id("page-older")).click();
      b.await("the second page", WAIT, d -> d.findElements(rows).size() == 3);
      assertTrue(b.driver().findElement(By.id("jobs-table")).getText().contains("job 0"));
      assertEquals("true", b.driver().findElement(By.id("page-older")).getDomProperty("disabled"));
      b.driver().findElement(By.id("page-newer")).click();
      b.await("the first page again", WAIT, d -> d.findElements(rows).size() == 20);
      assertEquals("true", b.driver().findElement(By.id("page-newer")).getDomProperty("disabled"));
      assertEquals(List.of(), b.consoleErrors(), "the browser's console");
    }
  }

  @Test
  void aRunIsComparedWithItsPreviousOneAndAScheduleShowsItsRunsOverTime(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "");
        Browser b = new Browser(1280, 900)) {
      Api api = new Api(service.port());
      String tag = "cmp" + System.nanoTime();
      List<String> flipping = List.of(target.url("/echo?fail-after=1&" + tag),
          target.url("/delay/0?same=" + tag));
      Map<String, Object> job = Map.of("name", "nightly " + tag, "retries", 0, "urls", flipping,
          "thresholds", Map.of("failureRate", 0.1));
      api.awaitFinished(api.submit(job), WAIT);
      String second = api.submit(job);
      api.awaitFinished(second, WAIT);
      api.awaitListed(second);
      api.awaitReadSide(WAIT);
      b.driver().get("http://127.0.0.1:" + service.port() + "/#/jobs/" + second);
      b.await("the comparison", WAIT, d -> !d.findElement(By.id("compare"))
          .getDomAttribute("data-changed").isEmpty());
      String compare = b.driver().findElement(By.id("compare")).getText();
      assertEquals("1", b.driver().findElement(By.id("compare")).getDomAttribute("data-changed"));
      assertTrue(compare.contains("1 newly-failing"), compare);
      assertTrue(compare.contains(target.url("/echo?fail-after=1&" + tag)), compare);
      String verdict = b.driver().findElement(By.id("job-verdict")).getText();
      assertTrue(verdict.contains("FAILED") && verdict.contains("failureRate"), verdict);

      Api.Reply created = api.call("POST", "/schedules", Map.of(), Map.of(
          "name", "every second " + tag, "urls", urls("sch" + tag, 2, 0), "every", "PT1S"));
      assertEquals(201, created.status(), created.toString());
      String schedule = created.body().get("id").asText();
      b.await("three finished runs", WAIT, d -> {
        api.awaitReadSide(WAIT);
        return api.get("/jobs?scheduleId=" + schedule + "&state=COMPLETED").body().get("jobs")
            .size() >= 3;
      });
      b.driver().get("http://127.0.0.1:" + service.port() + "/#/schedules/" + schedule);
      b.await("the schedule's chart", WAIT, d -> Integer.parseInt(d.findElement(
          By.id("schedule-chart")).getDomAttribute("data-points")) >= 3);
      assertTrue(b.driver().findElements(By.cssSelector("#schedule-chart canvas")).size() > 0);
      assertTrue(b.driver().findElement(By.id("schedule-runs")).getText().contains("fired"));
      b.screenshot(SHOTS, "schedule-1280");
      b.driver().get("http://127.0.0.1:" + service.port() + "/#/schedules");
      b.await("the schedules list", WAIT, d -> d.findElement(By.id("schedules"))
          .getText().contains("every second " + tag));
      assertEquals(List.of(), b.consoleErrors(), "the browser's console");
    }
  }

  @Test
  void aLargeFinishedJobIsStreamedIntoTheBrowserAndDrawnAggregated(@TempDir Path dir) {
    // More than 32 batches of 200 results: more than the service sends to a stream at once.
    int n = Integer.getInteger("dashboard.large-job-urls", 10_000);
    try (FetchRunner service = Services.start(dir, "");
        Browser b = new Browser(1280, 900)) {
      Api api = new Api(service.port());
      String id = api.submit(Map.of("name", "large", "concurrency", 256,
          "urls", urls("large", n, 0)));
      api.awaitFinished(id, Duration.ofMinutes(5));
      long start = System.nanoTime();
      b.driver().get("http://127.0.0.1:" + service.port() + "/#/jobs/" + id);
      b.await("every URL drawn", Duration.ofMinutes(3),
          d -> String.valueOf(n).equals(attr(b, "waterfall", "data-bars")));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals("aggregated", attr(b, "waterfall", "data-mode"));
      assertEquals("100", attr(b, "job-progress", "data-percent"));
      assertTrue(b.driver().findElement(By.id("results-page")).getText()
          .startsWith("Page 1 of " + (n + 24) / 25 + " "), "paged by 25");
      b.driver().findElement(By.id("results-next")).click();
      assertEquals(String.valueOf(25), b.driver().findElement(
          By.cssSelector("#results-table tbody tr td")).getText(), "the second page starts at 25");
      System.out.printf("dashboard: a finished %,d-URL job loaded and drawn in %,d ms%n", n, ms);
      assertEquals(List.of(), b.consoleErrors(), "the browser's console");
    }
  }

  @Test
  void theStreamReaderParsesSplitEventsAndResumesAfterTheLastIdItGot(@TempDir Path dir) {
    try (FetchRunner service = Services.start(dir, "");
        Browser b = new Browser(1280, 900)) {
      b.driver().get("http://127.0.0.1:" + service.port() + "/");
      b.await("the page", WAIT, d -> d.findElement(By.id("submit-button")).isDisplayed());
      @SuppressWarnings("unchecked")
      Map<String, Object> got = (Map<String, Object>) ((org.openqa.selenium.JavascriptExecutor)
          b.driver()).executeAsyncScript("""
              const done = arguments[arguments.length - 1];
              (async () => {
                const { SseParser, follow } = await import('/dashboard/sse.js');
                // fed one character at a time, CRLF and LF lines, a comment, two data lines
                const parsed = [];
                const parser = new SseParser((e) => parsed.push(`${e.type}|${e.id}|${e.data}`));
                const text = 'event: result\\nid: 1\\ndata: {"a":1}\\n\\n:\\n\\n'
                  + 'event: progress\\r\\nid: 1\\r\\ndata: x\\r\\ndata: y\\r\\n\\r\\n';
                for (const c of text) parser.push(c);
                // the first connection ends after event 2 without "done"; the second must
                // ask for what came after 2
                const bodies = ['event: result\\nid: 1\\ndata: 1\\n\\nevent: result\\nid: 2\\ndata: 2\\n\\n',
                  'event: result\\nid: 3\\ndata: 3\\n\\nevent: done\\nid: 3\\ndata: {}\\n\\n'];
                const asked = [];
                const followed = [];
                let call = 0;
                await follow({
                  lastEventId: '0',
                  open: async (headers) => { asked.push(headers['Last-Event-ID']); return new Response(bodies[call++]); },
                  onEvent: (e) => followed.push(`${e.type}${e.id}`),
                  ended: (e) => e.type === 'done',
                });
                return { parsed, asked, followed };
              })().then(done, (e) => done({ error: String(e) }));
              """);
      assertEquals(List.of("result|1|{\"a\":1}", "progress|1|x\ny"), got.get("parsed"), got::toString);
      assertEquals(List.of("0", "2"), got.get("asked"), got::toString);
      assertEquals(List.of("result1", "result2", "result3", "done3"), got.get("followed"),
          got::toString);
      assertEquals(List.of(), b.consoleErrors(), "the browser's console");
    }
  }
}
