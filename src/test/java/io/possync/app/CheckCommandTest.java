package io.possync.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingXPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import io.possync.testing.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code possync check} against a stand-in Odoo 13 (WireMock answering Odoo's XML-RPC bodies): a
 * good configuration, a wrong password, an Odoo nobody listens for, and a configuration that
 * {@code serve} would refuse, each with its words and exit code.
 */
class CheckCommandTest {
  private static final String PASSWORD = "s3cret-pw";

  @TempDir
  Path tmp;

  private WireMockServer odoo;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @BeforeEach
  void startOdoo() {
    odoo = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
        .usingFilesUnderClasspath("odoo").notifier(new ConsoleNotifier(false)));
    odoo.start();
    odoo.stubFor(common("version").willReturn(xml("version-13.xml")));
    odoo.stubFor(common("authenticate")
        .withRequestBody(matchingXPath("/methodCall/params/param[3]/value[.='" + PASSWORD + "']"))
        .willReturn(xml("authenticate-uid-7.xml")));
    odoo.stubFor(common("authenticate").atPriority(9).willReturn(xml("authenticate-false.xml")));
  }

  @AfterEach
  void stopOdoo() {
    odoo.stop();
  }

  @Test
  void aGoodConfigurationAndAnOdooThatLetsUsInPass() throws Exception {
    Path config = config("http://127.0.0.1:" + odoo.port(), PASSWORD);

    assertThat(run("check", "--config", config.toString())).isZero();

    assertThat(out.toString()).contains("configuration " + config + ": valid")
        .contains("shop (http://127.0.0.1:" + odoo.port() + ", database odoo): Odoo 13.0,"
            + " login possync OK");
  }

  @Test
  void aWrongPasswordIsReportedAndNotRetried() throws Exception {
    Path config = config("http://127.0.0.1:" + odoo.port(), "not-the-password");

    assertThat(run("check", "--config", config.toString())).isEqualTo(1);

    assertThat(out.toString()).contains("shop (http://127.0.0.1:" + odoo.port()
        + ", database odoo): login possync: wrong login or password (Odoo refused it; nothing"
        + " was retried)").contains("1 of 1 Odoo backend failed")
        .doesNotContain("not-the-password");
    assertThat(odoo.findAll(postRequestedFor(urlEqualTo("/xmlrpc/2/common")).withRequestBody(
        matchingXPath("/methodCall/methodName[.='authenticate']")))).hasSize(1);
  }

  @Test
  void anOdooNobodyListensForCannotBeReached() throws Exception {
    int closed = ServerProcess.freePort();
    Path config = config("http://127.0.0.1:" + closed, PASSWORD);

    assertThat(run("check", "--config", config.toString())).isEqualTo(1);

    assertThat(out.toString()).contains("shop (http://127.0.0.1:" + closed
        + ", database odoo): cannot reach it (connection refused)");
  }

  @Test
  void aBlackHoledOdooIsGivenUpOnWithinTheConnectTimeout() throws Exception {
    // A listener that never accepts, its queue filled: further connections get no answer at
    // all, as from a host that drops packets (on loopback: nothing leaves this machine).
    List<Socket> queued = new ArrayList<>();
    try (ServerSocket blackHole = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      boolean full = false;
      for (int i = 0; i < 16 && !full; i++) {
        Socket s = new Socket();
        try {
          s.connect(blackHole.getLocalSocketAddress(), 300);
          queued.add(s);
        } catch (SocketTimeoutException e) {
          s.close();
          full = true;
        }
      }
      assertThat(full).as("the listener's queue filled up").isTrue();
      Path config = config("http://127.0.0.1:" + blackHole.getLocalPort(), PASSWORD);

      long start = System.nanoTime();
      assertThat(run("check", "--config", config.toString(), "--connect-timeout", "1"))
          .isEqualTo(1);
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(out.toString()).contains("asking shop (http://127.0.0.1:"
          + blackHole.getLocalPort() + ", database odoo) ...").contains("cannot reach it (no"
          + " connection within 1 s)");
      assertThat(took).isLessThan(Duration.ofSeconds(10));
    } finally {
      for (Socket s : queued) {
        s.close();
      }
    }
  }

  @Test
  void oneBadBackendAmongGoodOnesFailsTheCheckAndTheOthersAreStillTried() throws Exception {
    int closed = ServerProcess.freePort();
    Path config = Files.writeString(tmp.resolve("two.properties"), backend("shop",
        "http://127.0.0.1:" + closed, password(PASSWORD)) + backend("bar",
        "http://127.0.0.1:" + odoo.port(), password(PASSWORD)).replace("database = odoo",
        "database = odoo\nodoo.bar.pos_dbname = bar"));

    assertThat(run("check", "--config", config.toString())).isEqualTo(1);

    assertThat(out.toString()).contains("bar (http://127.0.0.1:" + odoo.port()
        + ", database odoo): Odoo 13.0, login possync OK").contains("shop (http://127.0.0.1:"
        + closed + ", database odoo): cannot reach it (connection refused)");
  }

  @Test
  void aConfigurationServeWouldRefuseIsInvalid() throws Exception {
    Path noPassword = Files.writeString(tmp.resolve("nopw.properties"), backend("shop",
        "http://127.0.0.1:" + odoo.port(), tmp.resolve("missing.pw")));
    assertThat(run("check", "--config", noPassword.toString())).isEqualTo(2);
    assertThat(out.toString()).contains("configuration " + noPassword + ": invalid: cannot read"
        + " odoo.shop.password_file");

    Path badValue = Files.writeString(tmp.resolve("bad.properties"), "poll.timeout = soon\n");
    assertThat(run("check", "--config", badValue.toString())).isEqualTo(2);
    assertThat(out.toString()).contains("invalid: poll.timeout must be a whole number");

    Path open = Files.writeString(tmp.resolve("open.properties"), "http.host = 0.0.0.0\n");
    assertThat(run("check", "--config", open.toString())).isEqualTo(2);
    assertThat(out.toString()).contains("refusing to listen on 0.0.0.0 with auth.mode=none");
    assertThat(odoo.getAllServeEvents()).as("Odoo is not asked with a bad configuration")
        .isEmpty();
  }

  @Test
  void withoutBackendsThereIsNothingToConnectTo() throws Exception {
    Path config = Files.writeString(tmp.resolve("plain.properties"), quiet());

    assertThat(run("check", "--config", config.toString())).isZero();

    assertThat(out.toString()).contains("valid").contains("no Odoo backend is configured");
  }

  @Test
  void helpDocumentsTheExitCodes() {
    assertThat(run("check", "--help")).isZero();
    assertThat(out.toString()).contains("Exit codes:").contains("0   the configuration is valid")
        .contains("1   the configuration is valid, but some Odoo backend")
        .contains("2   invalid command line or configuration");
  }

  private Path config(String url, String password) throws Exception {
    return Files.writeString(tmp.resolve("possync.properties"),
        backend("shop", url, password(password)));
  }

  private Path password(String password) throws Exception {
    return Files.writeString(tmp.resolve("odoo-" + password.hashCode() + ".pw"), password + "\n");
  }

  private String backend(String name, String url, Path passwordFile) {
    return "odoo." + name + ".url = " + url + "\n"
        + "odoo." + name + ".database = odoo\n"
        + "odoo." + name + ".login = possync\n"
        + "odoo." + name + ".password_file = " + passwordFile + "\n"
        + "odoo.connect_timeout = 2\n" + quiet();
  }

  /** Ports the OS chooses and a data directory of the test's: nothing of this machine's. */
  private String quiet() {
    return "http.port = 0\nadmin.port = 0\nstore.data_dir = " + tmp.resolve("data") + "\n";
  }

  private int run(String... args) {
    out.reset();
    CommandLine cmd = Main.commandLine();
    CheckCommand check = cmd.getSubcommands().get("check").getCommand();
    PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
    check.out = print;
    check.env = Map.of();
    cmd.setOut(new java.io.PrintWriter(print, true));
    return cmd.execute(args);
  }

  private static MappingBuilder common(String method) {
    return post(urlEqualTo("/xmlrpc/2/common"))
        .withRequestBody(matchingXPath("/methodCall/methodName[.='" + method + "']"));
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder xml(
      String file) {
    return aResponse().withStatus(200).withHeader("Content-Type", "text/xml; charset=utf-8")
        .withBodyFile(file);
  }
}
