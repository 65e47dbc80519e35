package io.possync.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.config.AdminSettings;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import io.possync.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code possync status} against a running node's admin listener (Basic auth with the token as
 * password), against a stubbed {@code /api/status} for the rarer states, and with no server.
 */
class StatusCommandTest {
  private static final String UPDATE = "/pos_multi_session_sync/update";
  private static final String POLL = "/longpolling/poll";
  private static final String TOKEN = "0123456789abcdef-status";

  @TempDir
  Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void aRunningServerIsSummarizedInPlainWords() throws Exception {
    Path password = Files.writeString(tmp.resolve("odoo.pw"), "secret\n");
    // A poll held long enough to be seen held (TestNode's default is 2 s).
    try (TestNode node = TestNode.start(Map.of("admin.token", TOKEN, "poll.timeout", "30",
        "odoo.shop.url", "http://127.0.0.1:" + ServerProcess.freePort(),
        "odoo.shop.database", "odoo", "odoo.shop.login", "possync",
        "odoo.shop.password_file", password.toString(), "outbox.retry_min", "60",
        "outbox.retry_max", "60", "odoo.connect_timeout", "1"))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      // Two terminals of multi-session 1; the bar opens an order, the tablet hands over one it
      // was paid for offline (Odoo is down, so it waits in the outbox), then waits for news.
      rpc.call(UPDATE, Pos.update("odoo", 1, 1, Pos.syncAll(1, 1, false)));
      rpc.call(UPDATE, Pos.update("odoo", 1, 2, Pos.syncAll(2, 1, false)));
      rpc.call(UPDATE, Pos.update("odoo", 1, 1,
          Pos.updateOrder(1, "00001-001-0001", 1, 1, 1, "n1", 1)));
      JsonObject paid = Pos.removeOrder(2, "00002-001-0001", 1, 1, "paid-1");
      paid.getAsJsonObject("data").addProperty("order_data", "{\"id\":\"00002-001-0001\","
          + "\"data\":{\"name\":\"Order 00002-001-0001\",\"uid\":\"00002-001-0001\"}}");
      rpc.call(UPDATE, Pos.update("odoo", 1, 2, paid));
      rpc.call(POLL, Pos.poll("odoo", 1, 0));
      CompletableFuture<RpcClient.Answer> waiting =
          rpc.callAsync(POLL, Pos.poll("odoo", 2, node.node().bus().lastId()));
      await().atMost(Duration.ofSeconds(5)).until(() -> node.node().bus().heldPolls() == 1);

      assertThat(run("status", "--config", config(node.node().adminPort(), TOKEN).toString()))
          .isZero();

      assertThat(out.toString().lines()).hasSize(3);
      assertThat(out.toString().lines().findFirst().orElseThrow())
          .startsWith("PosSync ").contains("(admin 127.0.0.1:" + node.node().adminPort()
              + ", POS listener 127.0.0.1:" + node.port() + "): up ")
          .endsWith(", 1 poll held");
      assertThat(out.toString()).contains(
          "database odoo: 1 multi-session, 2 terminals online, 0 offline, 1 draft order\n",
          "outbox odoo: 1 pending\n");

      // --json: the status page's own document, for scripts.
      assertThat(run("status", "--json", "--config",
          config(node.node().adminPort(), TOKEN).toString())).isZero();
      JsonObject json = JsonParser.parseString(out.toString()).getAsJsonObject();
      assertThat(json.keySet()).contains("node", "databases", "outbox", "history");
      assertThat(json.getAsJsonObject("node").get("held_polls").getAsInt()).isEqualTo(1);
      assertThat(json.getAsJsonArray("databases").get(0).getAsJsonObject().get("dbname")
          .getAsString()).isEqualTo("odoo");
      assertThat(json.getAsJsonObject("outbox").getAsJsonObject("counts").getAsJsonObject("odoo")
          .get("pending").getAsInt()).isEqualTo(1);
      waiting.cancel(true);
    }
  }

  @Test
  void pausedOutboxesLateTerminalsAndEmptyOutboxesAreSaid() throws Exception {
    WireMockServer admin = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
        .notifier(new ConsoleNotifier(false)));
    admin.start();
    try {
      admin.stubFor(get(urlEqualTo("/api/status")).willReturn(aResponse().withStatus(200)
          .withHeader("Content-Type", "application/json").withBody("""
              {"node":{"version":"0.1.0","now":1738317600000,"started_at":1738313877000,
                "uptime_seconds":3723,"held_polls":4,"last_notification_id":812,
                "pos_listener":"0.0.0.0:8079","auth_mode":"token"},
               "databases":[
                {"dbname":"odoo","multi_sessions":[
                  {"id":1,"run":3,"last_sequence_number":17,"draft_orders":5,"orders_kept":40,
                   "terminals":[{"pos_id":1,"state":"online"},{"pos_id":2,"state":"online"},
                                {"pos_id":3,"state":"stale"}]},
                  {"id":2,"run":1,"last_sequence_number":2,"draft_orders":2,"orders_kept":2,
                   "terminals":[{"pos_id":4,"state":"offline"}]}],
                 "other_terminals":[{"pos_id":9,"state":"online"}]}],
               "outbox":{"configured":["bar","odoo"],
                "counts":{"odoo":{"pending":2,"done":40,"dead":1}},
                "recent":[],
                "paused":[{"dbname":"odoo","reason":"Odoo refused the login of possync",
                           "since":1738314000000}]}}
              """)));

      assertThat(run("status", "--config", config(admin.port(), TOKEN).toString())).isZero();

      assertThat(out.toString().lines()).containsExactly(
          "PosSync 0.1.0 (admin 127.0.0.1:" + admin.port() + ", POS listener 0.0.0.0:8079):"
              + " up 1 h 2 min, 4 polls held",
          "database odoo: 2 multi-sessions, 3 terminals online, 1 late, 1 offline,"
              + " 7 draft orders",
          "outbox bar: empty",
          "outbox odoo: 2 pending, 1 dead, 40 done",
          "outbox odoo: PAUSED since 2025-01-31T09:00:00Z: Odoo refused the login of possync");
    } finally {
      admin.stop();
    }
  }

  @Test
  void aWrongTokenIsRefused() throws Exception {
    try (TestNode node = TestNode.start(Map.of("admin.token", TOKEN))) {
      assertThat(run("status", "--config",
          config(node.node().adminPort(), "not-the-token-at-all").toString())).isEqualTo(1);
    }

    assertThat(err.toString()).contains("refused the token");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void noServerMeansExitOne() throws Exception {
    int closed = ServerProcess.freePort();

    assertThat(run("status", "--config", config(closed, TOKEN).toString())).isEqualTo(1);

    assertThat(err.toString()).contains("cannot reach the server's admin listener at http://"
        + "127.0.0.1:" + closed + "/api/status (connection refused)");
  }

  @Test
  void anInvalidConfigurationIsExitTwo() throws Exception {
    Path bad = Files.writeString(tmp.resolve("bad.properties"), "admin.port = eighty\n");

    assertThat(run("status", "--config", bad.toString())).isEqualTo(2);

    assertThat(err.toString()).contains("admin.port must be a whole number");
  }

  @Test
  void aWildcardAdminAddressIsAskedOnLoopback() {
    assertThat(StatusCommand.uri(new AdminSettings("0.0.0.0", 8078, "", Duration.ofSeconds(75))))
        .hasToString("http://127.0.0.1:8078/api/status");
    assertThat(StatusCommand.uri(new AdminSettings("::1", 8078, "", Duration.ofSeconds(75))))
        .hasToString("http://[::1]:8078/api/status");
  }

  private Path config(int port, String token) throws Exception {
    return Files.writeString(tmp.resolve("possync.properties"),
        "admin.port = " + port + "\nadmin.token = " + token + "\n");
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    CommandLine cmd = Main.commandLine();
    StatusCommand status = cmd.getSubcommands().get("status").getCommand();
    status.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    status.err = new PrintStream(err, true, StandardCharsets.UTF_8);
    status.env = Map.of();
    return cmd.execute(args);
  }
}
