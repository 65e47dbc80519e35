package io.possync.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.possync.testing.Pos.poll;
import static io.possync.testing.Pos.syncAll;
import static io.possync.testing.Pos.update;
import static io.possync.testing.Pos.updateOrder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.store.TokenTables;
import io.possync.sync.MultiSessionKey;
import io.possync.terminal.TerminalConfig;
import io.possync.terminal.TerminalRuntime;
import io.possync.terminal.Timing;
import io.possync.terminal.VirtualTerminal;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The access modes of the POS listener: with the right credentials a whole scenario works; without
 * or with wrong ones every endpoint refuses and nothing changes; a token for one multi-session can
 * neither read nor write another.
 */
class AccessModesTest {
  private static final String UPDATE = "/pos_multi_session_sync/update";
  private static final String POLL = "/longpolling/poll";
  private static final String PING = "/pos_longpolling/update";

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private Logger root;

  @BeforeEach
  void captureLogs() {
    root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    root.detachAppender(logs);
  }

  // --- token ------------------------------------------------------------------------------

  @Test
  void withItsTokenAMultiSessionSyncsAndNothingElseGetsIn() throws Exception {
    try (TestNode node = TestNode.start(Map.of("auth.mode", "token"));
        TerminalRuntime runtime = new TerminalRuntime(2)) {
      String secretA = node.issueToken("shop", 1);
      String secretB = node.issueToken("shop", 2);
      URI syncServerA = URI.create(node.baseUri() + "/t/" + secretA);

      // The whole scenario through the capability URL: two terminals see each other's order.
      VirtualTerminal bar = runtime.terminal(TerminalConfig.of(syncServerA, "shop", 1, 1, 1, 1)
          .withTiming(Timing.fast()));
      VirtualTerminal tablet = runtime.terminal(TerminalConfig.of(syncServerA, "shop", 1, 2, 2, 2)
          .withTiming(Timing.fast()));
      bar.start().get();
      tablet.start().get();
      // Not before both are settled: the bar's first online sync_all, answered on the bus, could
      // still arrive after the order's update and remove it again (VirtualTerminal#isSettled).
      await().atMost(Duration.ofSeconds(10)).until(() -> bar.isSettled() && tablet.isSettled());
      String uid = bar.newOrder();
      bar.edit(uid, o -> o.addProduct(31, new BigDecimal("2.50")));
      await().atMost(Duration.ofSeconds(10)).until(() -> tablet.order(uid).isPresent());
      assertThat(tablet.order(uid).orElseThrow().sequenceNumber()).isEqualTo(1);
      // The terminals go quiet (no more PINGs or resyncs) so that the counts below are exact.
      bar.close();
      tablet.close();

      RpcClient withA = new RpcClient(syncServerA);
      RpcClient withB = new RpcClient(URI.create(node.baseUri() + "/t/" + secretB));
      RpcClient bare = new RpcClient(node.baseUri());
      RpcClient forged = new RpcClient(URI.create(node.baseUri() + "/t/"
          + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
      long lastId = node.node().bus().lastId();

      // Without a token, or with a wrong one, every endpoint refuses.
      for (RpcClient c : new RpcClient[] {bare, forged}) {
        refused(c.call(UPDATE, update("shop", 1, 1, syncAll(1, 1, true))));
        refused(c.call(POLL, poll("shop", 1, 0)));
        refused(c.call(PING, JsonParser.parseString(
            "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"shop\"}")));
      }
      // A's token cannot read or write B, nor another database, nor guess channels.
      refused(withA.call(UPDATE, update("shop", 2, 1, syncAll(1, 1, true))));
      refused(withA.call(UPDATE, update("other", 1, 1, syncAll(1, 1, true))));
      refused(withA.call(UPDATE, update("shop", 2, 1,
          updateOrder(1, "00009-001-0001", 1, 1, 1, "x", 1))));
      refused(withA.call(PING, JsonParser.parseString(
          "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"other\"}")));
      refused(withA.call(POLL, poll("shop", 7, 0))); // a terminal of no multi-session of A
      refused(withA.call(POLL, JsonParser.parseString(
          "{\"channels\":[\"[\\\"shop\\\",\\\"pos.multi_session\\\",\\\"1\\\"]\","
              + "\"garbage\"],\"last\":0}")));
      // B registers terminal 5; A still cannot poll it.
      withB.call(UPDATE, update("shop", 2, 5, syncAll(5, 1, false)));
      refused(withA.call(POLL, poll("shop", 5, 0)));
      assertThat(node.node().pipeline().status(new MultiSessionKey("shop", 2)).orElseThrow().orders())
          .isZero();
      assertThat(node.node().pipeline().status(new MultiSessionKey("other", 1))).isEmpty();
      // B's own registration published one notification; the refusals published nothing.
      assertThat(node.node().bus().lastId()).isEqualTo(lastId + 1);
      // And A still works.
      JsonArray orders = withA.call(UPDATE, update("shop", 1, 1, syncAll(1, 1, true))).result()
          .getAsJsonObject().getAsJsonObject("data").getAsJsonArray("orders");
      assertThat(orders).hasSize(1);

      // A revoked token stops working within the cache time.
      try (TokenTables admin = TokenTables.open(node.dataDir())) {
        assertThat(admin.revoke(AccessTokens.hash(secretA).substring(0, 12),
            System.currentTimeMillis())).isEqualTo(1);
      }
      await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
          .until(() -> withA.call(PING, JsonParser.parseString(
              "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"shop\"}")).status() == 403);

      // No secret ever reaches the log.
      assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
          .noneMatch(m -> m.contains(secretA) || m.contains(secretB));
    }
  }

  // --- odoo-session -----------------------------------------------------------------------

  @Test
  void sameOriginRequestsAreCheckedAgainstTheOdooSession() throws Exception {
    WireMockServer odoo = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    odoo.start();
    try {
      session(odoo, "good", "{\"uid\":2,\"db\":\"shop\",\"username\":\"cashier\"}");
      session(odoo, "otherdb", "{\"uid\":2,\"db\":\"other\",\"username\":\"cashier\"}");
      odoo.stubFor(post(urlEqualTo("/web/session/get_session_info"))
          .withHeader("Cookie", containing("session_id=expired"))
          .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
              .withBody("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":100,\"message\":"
                  + "\"Odoo Session Expired\",\"data\":{\"name\":"
                  + "\"odoo.http.SessionExpiredException\"}}}")));
      try (TestNode node = TestNode.start(Map.of("auth.mode", "odoo-session",
          "auth.odoo_url", "http://127.0.0.1:" + odoo.port()))) {
        RpcClient rpc = new RpcClient(node.baseUri());
        Map<String, String> good = Map.of("Cookie", "frontend_lang=en_US; session_id=good");

        // Valid session: the POS's own requests work.
        assertThat(rpc.post(UPDATE, RpcClient.envelope(update("shop", 1, 2, syncAll(1, 1, false))),
            good).isError()).isFalse();
        assertThat(rpc.post(UPDATE, RpcClient.envelope(update("shop", 1, 2,
            updateOrder(1, "00001-001-0001", 1, 1, 1, "a", 1))), good).result().getAsJsonObject()
            .get("action").getAsString()).isEqualTo("update_revision_ID");
        assertThat(rpc.post(POLL, RpcClient.envelope(poll("shop", 1, 0)), good).result()
            .getAsJsonArray()).isNotEmpty();
        long lastId = node.node().bus().lastId();

        // Expired, missing, another database, another user: refused, nothing changes.
        refused(rpc.post(UPDATE, RpcClient.envelope(update("shop", 1, 2, syncAll(1, 1, false))),
            Map.of("Cookie", "session_id=expired")));
        refused(rpc.post(UPDATE, RpcClient.envelope(update("shop", 1, 2, syncAll(1, 1, false)))));
        refused(rpc.post(UPDATE, RpcClient.envelope(update("shop", 1, 2, syncAll(1, 1, false))),
            Map.of("Cookie", "session_id=otherdb")));
        refused(rpc.post(UPDATE, RpcClient.envelope(update("shop", 1, 6, syncAll(2, 1, false))),
            good)); // user_ID 6 is not the session's user
        refused(rpc.post(POLL, RpcClient.envelope(poll("other", 1, 0)), good));
        refused(rpc.post(PING, RpcClient.envelope(JsonParser.parseString(
            "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"other\"}")), good));
        assertThat(node.node().bus().lastId()).isEqualTo(lastId);

        // Odoo is asked once per session, then the answer is cached.
        odoo.verify(1, postRequestedFor(urlEqualTo("/web/session/get_session_info"))
            .withHeader("Cookie", containing("session_id=good")));
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
            .noneMatch(m -> m.contains("session_id=good") || m.contains("Order 00001"));
      }
    } finally {
      odoo.stop();
    }
  }

  // --- limits -----------------------------------------------------------------------------

  @Test
  void eachLimitAnswersWithAClearErrorAtItsBound() throws Exception {
    try (TestNode node = TestNode.start(Map.of("limits.channels_per_poll", "2",
        "limits.lines_per_order", "3", "limits.held_polls_per_address", "2",
        "limits.requests_per_second", "1000"))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      RpcClient.Answer channels = rpc.call(POLL, JsonParser.parseString(
          "{\"channels\":[\"a\",\"b\",\"c\"],\"last\":0}"));
      assertThat(channels.error().getAsJsonObject("data").get("message").getAsString())
          .contains("at most 2 channels");

      JsonObject big = updateOrder(1, "00001-001-0001", 1, 1, 1, "n", 1);
      JsonArray lines = big.getAsJsonObject("data").getAsJsonArray("lines");
      lines.add(lines.get(0).deepCopy());
      lines.add(lines.get(0).deepCopy());
      lines.add(lines.get(0).deepCopy());
      assertThat(rpc.call(UPDATE, update("shop", 1, 1, big)).error().getAsJsonObject("data")
          .get("message").getAsString()).contains("at most 3 lines");

      var first = rpc.callAsync(POLL, poll("shop", 1, 0));
      var second = rpc.callAsync(POLL, poll("shop", 2, 0));
      await().atMost(Duration.ofSeconds(5)).until(() -> node.node().bus().heldPolls() == 2);
      RpcClient.Answer third = rpc.call(POLL, poll("shop", 3, 0));
      assertThat(third.error().getAsJsonObject("data").get("name").getAsString())
          .isEqualTo("possync.exceptions.TooManyPolls");
      first.get();
      second.get();
    }
    try (TestNode node = TestNode.start(Map.of("limits.requests_per_second", "5"))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      int refusedCount = 0;
      for (int i = 0; i < 40; i++) {
        RpcClient.Answer a = rpc.call(PING, JsonParser.parseString(
            "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"shop\"}"));
        if (a.status() == 429) {
          refusedCount++;
          assertThat(a.error().getAsJsonObject("data").get("name").getAsString())
              .isEqualTo("werkzeug.exceptions.TooManyRequests");
        }
      }
      assertThat(refusedCount).isPositive();
      // Refusals of one address are logged at most once a minute.
      assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("access_refused"))
          .hasSize(1);
    }
  }

  private static void refused(RpcClient.Answer a) {
    assertThat(a.status()).as("%s", a.body()).isEqualTo(403);
    assertThat(a.error().getAsJsonObject("data").get("name").getAsString())
        .isEqualTo("werkzeug.exceptions.Forbidden");
  }


  private static void session(WireMockServer odoo, String id, String info) {
    odoo.stubFor(post(urlEqualTo("/web/session/get_session_info"))
        .withHeader("Cookie", containing("session_id=" + id))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withBody("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + info + "}")));
  }
}
