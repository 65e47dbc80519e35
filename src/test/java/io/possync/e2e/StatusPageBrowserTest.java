package io.possync.e2e;

import static io.possync.e2e.Shop.fill;
import static io.possync.e2e.Shop.sameOrderEverywhere;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.possync.terminal.VirtualTerminal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in real headless Chromium, driven by Selenium, against a node with virtual
 * terminals: a terminal that stops polling turns red within the threshold, a new order shows in
 * the draft count. Leaves a screenshot in {@code target/status-page.png}.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs them).
 * Without them this test fails and says so: it is never skipped silently.
 */
class StatusPageBrowserTest {
  private static final Path CHROMIUM =
      Path.of(System.getProperty("possync.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("possync.chromedriver", "/usr/bin/chromedriver"));
  private static final String TOKEN = "browser-test-token-5f1c2a9e";
  private static final int OFFLINE_AFTER_S = 3;
  /** The page asks every 2 s; one refresh may just have missed the change. */
  private static final Duration REFRESH = Duration.ofSeconds(2);
  private static final Path SCREENSHOT = Path.of("target", "status-page.png");

  @TempDir
  Path profile;

  @BeforeAll
  static void chromiumIsInstalled() {
    List<String> missing = new ArrayList<>();
    for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(p)) {
        missing.add(p.toString());
      }
    }
    if (!missing.isEmpty()) {
      fail("StatusPageBrowserTest needs Chromium and ChromeDriver, and " + missing + " is not"
          + " there. Install them (Debian: apt-get install chromium chromium-driver, as .ci/run"
          + " does) or point -Dpossync.chromium=... and -Dpossync.chromedriver=... at them.");
    }
  }

  @Test
  void aTerminalThatStopsPollingTurnsOfflineAndANewOrderCountsAsADraft() throws Exception {
    try (Shop shop = Shop.open(Map.of("admin.token", TOKEN,
        "admin.offline_after", Integer.toString(OFFLINE_AFTER_S)))) {
      VirtualTerminal bar = shop.terminal(1);
      VirtualTerminal waiter = shop.terminal(2);
      int adminPort = shop.node().node().adminPort();
      WebDriver browser = chromium();
      try {
        // HTTP Basic from the URL: any user name, the token as password.
        browser.get("http://admin:" + TOKEN + "@127.0.0.1:" + adminPort + "/");
        WebDriverWait page = new WebDriverWait(browser, Duration.ofSeconds(10),
            Duration.ofMillis(100));
        page.ignoring(NoSuchElementException.class).ignoring(StaleElementReferenceException.class);

        page.until(b -> "online".equals(terminalState(b, 1))
            && "online".equals(terminalState(b, 2)));
        assertThat(drafts(browser)).isEqualTo("0");
        assertThat(browser.getTitle()).isEqualTo("PosSync status");

        String uid = bar.newOrder();
        fill(bar, uid, Product.LED_LAMP, Product.DESK_PAD);
        sameOrderEverywhere(uid, bar, waiter);
        page.until(b -> "1".equals(drafts(b)));
        assertThat(lastOrderNumber(browser)).isEqualTo("1");

        waiter.close(); // it stops polling, as a tablet whose battery ran out
        long closed = System.nanoTime();
        new WebDriverWait(browser, Duration.ofSeconds(OFFLINE_AFTER_S).plus(REFRESH)
            .plusSeconds(3), Duration.ofMillis(100))
            .ignoring(NoSuchElementException.class)
            .ignoring(StaleElementReferenceException.class)
            .until(b -> "offline".equals(terminalState(b, 2)));
        Duration took = Duration.ofNanos(System.nanoTime() - closed);
        assertThat(took).as("offline within the threshold plus one refresh")
            .isLessThanOrEqualTo(Duration.ofSeconds(OFFLINE_AFTER_S).plus(REFRESH)
                .plusSeconds(2));
        assertThat(terminalState(browser, 1)).as("the bar still polls").isEqualTo("online");
        assertThat(browser.findElement(By.cssSelector("[data-terminal='odoo12/2'] .dot"))
            .getCssValue("background-color")).as("red, as pos_longpolling shows it")
            .isEqualTo("rgba(231, 76, 60, 1)");

        // Some traffic for the chart, then the picture for a human to look at.
        for (int i = 0; i < 6; i++) {
          Product pen = Product.WHITEBOARD_PEN;
          bar.addProduct(uid, pen.id, pen.price.doubleValue());
          Thread.sleep(300);
        }
        awaitChartPoint(shop);
        page.until(b -> b.findElement(By.id("chart-empty")).getAttribute("hidden") != null);
        Thread.sleep(REFRESH.toMillis() + 500);
        Files.createDirectories(SCREENSHOT.getParent());
        Files.write(SCREENSHOT, ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
      } finally {
        browser.quit();
      }
    }
  }

  private WebDriver chromium() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1300",
        "--user-data-dir=" + profile.toAbsolutePath());
    // The driver binary is given, so Selenium Manager never runs (nothing is downloaded).
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    return new ChromeDriver(service, options);
  }

  private static String terminalState(WebDriver b, long posId) {
    return b.findElement(By.cssSelector("[data-terminal='" + Shop.DB + "/" + posId + "']"))
        .getAttribute("data-state");
  }

  private static String drafts(WebDriver b) {
    return field(b, "draft_orders");
  }

  private static String lastOrderNumber(WebDriver b) {
    return field(b, "last_sequence_number");
  }

  private static String field(WebDriver b, String name) {
    return b.findElement(By.cssSelector("[data-multi-session='" + Shop.DB + "/"
        + Shop.MULTI_SESSION + "'] [data-field='" + name + "']")).getText();
  }

  /** Waits until a completed 5-second step of the history holds updates. */
  private static void awaitChartPoint(Shop shop) {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(
            URI.create(shop.node().adminUri() + "/api/status"))
        .header("Authorization", "Bearer " + TOKEN).build();
    await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(200)).until(() -> {
      JsonElement status = JsonParser.parseString(
          http.send(request, HttpResponse.BodyHandlers.ofString()).body());
      for (JsonElement p : status.getAsJsonObject().getAsJsonObject("history")
          .getAsJsonArray("points")) {
        if (p.getAsJsonObject().get("updates_per_second").getAsDouble() > 0) {
          return true;
        }
      }
      return false;
    });
  }
}
