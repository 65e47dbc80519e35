package io.possync.e2e;

import static io.possync.e2e.Shop.fill;
import static io.possync.e2e.Shop.sameOrderEverywhere;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.possync.terminal.VirtualTerminal;
import io.possync.testing.ServerProcess;
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
 * terminals and an Odoo backend nobody answers for: terminals are named as Odoo names the POS
 * and the cashier (from their orders' {@code ms_info}), a new order shows in the open-order count,
 * paid orders that cannot reach Odoo raise the banner, a terminal that stops polling turns red
 * within the threshold. Leaves a screenshot per state in {@code target/status-page-*.png}.
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
  private static final Path SCREENSHOTS = Path.of("target");
  /** Odoo's next try after a failure: far enough that the banner can be read before it. */
  private static final int RETRY_S = 120;

  @TempDir
  Path profile;

  @TempDir
  Path secrets;

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
  void namedTerminalsTheOdooBannerAndATerminalThatStopsPolling() throws Exception {
    Path password = Files.writeString(secrets.resolve("odoo.pw"), "secret\n");
    try (Shop shop = Shop.open(Map.of("admin.token", TOKEN,
        "admin.offline_after", Integer.toString(OFFLINE_AFTER_S),
        // An Odoo backend for the shop's database that nobody answers for.
        "odoo.shop.url", "http://127.0.0.1:" + ServerProcess.freePort(),
        "odoo.shop.database", Shop.DB, "odoo.shop.login", "possync",
        "odoo.shop.password_file", password.toString(), "odoo.connect_timeout", "1",
        "outbox.retry_min", Integer.toString(RETRY_S),
        "outbox.retry_max", Integer.toString(RETRY_S)))) {
      VirtualTerminal bar = shop.terminal(shop.config(1).withNames("Bar", "Anna"));
      VirtualTerminal waiter = shop.terminal(shop.config(2).withNames("Terrace", "Ben"));
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
        // Before their first order the page knows the terminals by number only.
        assertThat(terminalName(browser, 2)).isEqualTo("POS 2");
        assertThat(banners(browser)).isEmpty();

        String uid = bar.newOrder();
        fill(bar, uid, Product.LED_LAMP, Product.DESK_PAD);
        sameOrderEverywhere(uid, bar, waiter);
        page.until(b -> "1".equals(drafts(b)));
        assertThat(lastOrderNumber(browser)).isEqualTo("1");
        String terrace = waiter.newOrder();
        fill(waiter, terrace, Product.FLIPOVER);
        sameOrderEverywhere(terrace, bar, waiter);

        // Named as Odoo names the POS and the cashier; the ids only under the developer fold.
        page.until(b -> "Terrace".equals(terminalName(b, 2)));
        assertThat(terminalName(browser, 1)).isEqualTo("Bar");
        assertThat(terminalDetails(browser, 1)).isEqualTo("cashier Anna");
        assertThat(terminalDetails(browser, 2)).isEqualTo("cashier Ben");
        assertThat(browser.findElement(By.id("dev-facts")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("explain-terminals")).getText())
            .contains("Run").contains("Orders kept");
        assertThat(banners(browser)).as("nothing waits for Odoo yet").isEmpty();
        screenshot(browser, "named-terminals");

        // The terrace loses the network, takes three payments, and comes back: Odoo is down, so
        // the paid orders wait in PosSync's outbox and the banner says so in the shop's words.
        waiter.goOffline();
        Shop.eventually().until(() -> !waiter.isBusOnline());
        String second = waiter.newOrder();
        fill(waiter, second, Product.DESK_PAD);
        String third = waiter.newOrder();
        fill(waiter, third, Product.LED_LAMP);
        Shop.eventually().until(() -> !waiter.isClientOnline());
        for (String paid : List.of(terrace, second, third)) {
          waiter.payOrder(paid);
        }
        waiter.goOnline();
        Shop.eventually().until(() -> waiter.paidOrdersPending().isEmpty()
            && waiter.isClientOnline());
        page.until(b -> !banners(b).isEmpty());
        String banner = banners(browser).get(0);
        assertThat(banner).startsWith("Odoo (" + Shop.DB + ") cannot be reached: 3 paid orders"
            + " waiting since ").containsPattern("since \\d\\d:\\d\\d, next try \\d\\d:\\d\\d\\.")
            .contains("cannot connect");
        java.util.regex.Matcher times = java.util.regex.Pattern
            .compile("since (\\d\\d):(\\d\\d), next try (\\d\\d):(\\d\\d)").matcher(banner);
        assertThat(times.find()).isTrue();
        int since = Integer.parseInt(times.group(1)) * 60 + Integer.parseInt(times.group(2));
        int next = Integer.parseInt(times.group(3)) * 60 + Integer.parseInt(times.group(4));
        assertThat(Math.floorMod(next - since, 24 * 60)).as("the retry, %s s after the failure",
            RETRY_S).isBetween(RETRY_S / 60 - 1, RETRY_S / 60 + 1);
        assertThat(browser.findElement(By.cssSelector("[data-banner='" + Shop.DB + "']"))
            .getCssValue("border-left-color")).isEqualTo("rgba(231, 76, 60, 1)");
        screenshot(browser, "odoo-unreachable");

        // The developer numbers are one click away.
        browser.findElement(By.cssSelector("#dev-fold summary")).click();
        page.until(b -> b.findElement(By.id("dev-facts")).isDisplayed());
        assertThat(browser.findElement(By.id("dev-facts")).getText()).contains("HELD POLLS")
            .contains("LAST NOTIFICATION ID").contains("HEAP");
        assertThat(terminalDetails(browser, 1)).contains("cashier Anna").contains("POS 1")
            .contains("user 101").contains("message_ID");

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
        screenshot(browser, "terminal-offline");
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

  /** {@code target/status-page-NAME.png}, for a human to look at. */
  private static void screenshot(WebDriver browser, String name) throws Exception {
    Files.createDirectories(SCREENSHOTS);
    Files.write(SCREENSHOTS.resolve("status-page-" + name + ".png"),
        ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
  }

  private static List<String> banners(WebDriver b) {
    return b.findElements(By.cssSelector("#banners .banner")).stream()
        .map(e -> e.getText()).toList();
  }

  private static String terminalName(WebDriver b, long posId) {
    return b.findElement(By.cssSelector("[data-terminal='" + Shop.DB + "/" + posId + "'] .name"))
        .getText();
  }

  private static String terminalDetails(WebDriver b, long posId) {
    return b.findElement(By.cssSelector("[data-terminal='" + Shop.DB + "/" + posId
        + "'] .details")).getText();
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
