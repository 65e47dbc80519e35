package io.possync.odoo;

import static com.github.tomakehurst.wiremock.client.WireMock.matchingXPath;
import static io.possync.testing.Pos.syncAll;
import static io.possync.testing.Pos.update;
import static io.possync.testing.Pos.updateOrder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxRow;
import io.possync.outbox.OutboxState;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox against a stand-in Odoo: a terminal hands PosSync an order paid offline and PosSync
 * writes it to Odoo once in effect, whatever Odoo does meanwhile (docs/odoo.md, "What happens to each order").
 */
class OutboxDeliveryTest {
  private static final String UPDATE = "/pos_multi_session_sync/update";

  @TempDir
  Path tmp;

  private TestNode node;
  private OdooStub odoo;

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (odoo != null) {
      odoo.close();
    }
  }

  @Test
  void anOrderPaidOfflineIsCreatedInOdoo13OnceWithItsOwnFields() throws Exception {
    odoo = new OdooStub().healthy(13);
    odoo.creates("Order 00011-001-0001", 42, 13);
    node = startNode(odoo.url(), OdooStub.PASSWORD, Map.of());

    payOffline("00011-001-0001", 8.05);

    OutboxRow done = awaitState("00011-001-0001", OutboxState.DONE);
    assertThat(done.odooOrderId()).isEqualTo(42);
    List<LoggedRequest> calls = odoo.createCalls("Order 00011-001-0001");
    assertThat(calls).hasSize(1);
    String body = calls.get(0).getBodyAsString();
    // 13.0: server_id present (it enables Odoo's dedup) and args [orders, false]; unknown payload
    // fields travel on; dates as Odoo wants them.
    assertThat(body).contains("<name>server_id</name>").contains("<name>x_loyalty_card</name>")
        .contains("2026-12-01 10:15:00").doesNotContain("dateTime.iso8601").doesNotContain("nil")
        .doesNotContain(OdooStub.PASSWORD + "x");
    assertThat(matches(body, "/methodCall/params/param[6]/value/array/data/value[2]/boolean[.='0']"))
        .isTrue();
  }

  @Test
  void anOrderPaidOfflineIsCreatedInOdoo12InItsShape() throws Exception {
    odoo = new OdooStub().healthy(12);
    odoo.creates("Order 00011-001-0002", 43, 12);
    node = startNode(odoo.url(), OdooStub.PASSWORD, Map.of());

    payOffline("00011-001-0002", 3.5);

    assertThat(awaitState("00011-001-0002", OutboxState.DONE).odooOrderId()).isEqualTo(43);
    String body = odoo.createCalls("Order 00011-001-0002").get(0).getBodyAsString();
    assertThat(matches(body, "/methodCall/params/param[6]/value/array/data[count(value)=1]"))
        .as("12.0 takes create_from_ui(orders) only").isTrue();
    assertThat(body).contains("<name>to_invoice</name>");
  }

  @Test
  void whileOdooIsDownOrdersWaitAndThenArriveOnceEachInOrder() throws Exception {
    int port;
    try (OdooStub probe = new OdooStub()) {
      port = probe.port(); // a port where nothing will listen for a while
    }
    node = startNode("http://127.0.0.1:" + port, OdooStub.PASSWORD, Map.of());
    List<String> uids = List.of("00011-001-0003", "00011-001-0004", "00011-001-0005");
    for (String uid : uids) {
      payOffline(uid, 2.0);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> row(uids.get(0)).attempts() >= 2);
    assertThat(row(uids.get(0)).state()).isEqualTo(OutboxState.PENDING);
    assertThat(row(uids.get(0)).lastError()).isNotBlank();
    assertThat(row(uids.get(1)).attempts()).as("the head holds back the rest").isZero();

    odoo = new OdooStub(port).healthy(13);
    int id = 50;
    for (String uid : uids) {
      odoo.creates("Order " + uid, id++, 13);
    }
    for (String uid : uids) {
      awaitState(uid, OutboxState.DONE);
    }
    assertThat(odoo.createCalls()).extracting(r -> orderName(r.getBodyAsString()))
        .containsExactly("Order 00011-001-0003", "Order 00011-001-0004", "Order 00011-001-0005");
  }

  @Test
  void aReplyTimeoutAfterOdooCommittedCausesNoDuplicate() throws Exception {
    odoo = new OdooStub().healthy(13);
    String name = "Order 00011-001-0006";
    // Odoo commits, but answers after the client gave up; afterwards the order can be found.
    odoo.server().stubFor(odoo.createFromUi(name).willReturn(OdooStub.xml(OdooStub.response(
        "<value><array><data>\n</data></array></value>")).withFixedDelay(2500)));
    odoo.finds(name, 77, 11, "POS/00011", 4.0);
    node = startNode(odoo.url(), OdooStub.PASSWORD, Map.of("odoo.reply_timeout", "1"));

    payOffline("00011-001-0006", 4.0);

    OutboxRow done = awaitState("00011-001-0006", OutboxState.DONE);
    assertThat(done.odooOrderId()).isEqualTo(77);
    assertThat(done.attempts()).isEqualTo(2);
    assertThat(odoo.createCalls(name)).as("looked up before retrying, not sent twice").hasSize(1);
  }

  @Test
  void aWrongPasswordPausesTheQueueInsteadOfRetrying() throws Exception {
    odoo = new OdooStub().healthy(13);
    node = startNode(odoo.url(), "not-the-password", Map.of());

    payOffline("00011-001-0007", 1.0);

    await().atMost(Duration.ofSeconds(5))
        .until(() -> node.node().outboxStore().pauseOf("odoo").isPresent());
    for (int pass = 0; pass < 3; pass++) {
      node.node().outbox().runOnce(); // three more passes: none may try to log in again
    }
    assertThat(odoo.authenticateCalls()).as("Odoo locks out after 5 failed logins").isEqualTo(1);
    assertThat(odoo.createCalls()).isEmpty();
    assertThat(node.node().outboxStore().pauseOf("odoo").orElseThrow().reason())
        .contains("refused the login of possync").doesNotContain("not-the-password");
    assertThat(row("00011-001-0007").state()).isEqualTo(OutboxState.PENDING);
  }

  @Test
  void anOrderOdooRefusesIsDeadLetteredWithOdoosReason() throws Exception {
    odoo = new OdooStub().healthy(13);
    odoo.faults("Order 00011-001-0008", 1, "Traceback (most recent call last):\n"
        + "  File \"/opt/odoo/odoo/service/model.py\", line 97, in wrapper\n"
        + "psycopg2.errors.NotNullViolation: null value in column \"pricelist_id\"\n\n\n"
        + "During handling of the above exception, another exception occurred:\n\n"
        + "Traceback (most recent call last):\n"
        + "odoo.exceptions.ValidationError: ('The operation cannot be completed:\\n- Create/update:"
        + " a mandatory field is not set.', None)\n");
    odoo.creates("Order 00011-001-0009", 61, 13);
    node = startNode(odoo.url(), OdooStub.PASSWORD, Map.of());

    payOffline("00011-001-0008", 1.0);
    payOffline("00011-001-0009", 1.0);

    OutboxRow dead = awaitState("00011-001-0008", OutboxState.DEAD);
    assertThat(dead.lastError()).contains("The operation cannot be completed");
    // A dead letter does not block the orders behind it.
    awaitState("00011-001-0009", OutboxState.DONE);
    assertThat(odoo.createCalls("Order 00011-001-0008")).hasSize(1);
  }

  @Test
  void aDifferentOrderHoldingTheNameIsAnAlertNotASilentSkip() throws Exception {
    odoo = new OdooStub().healthy(13);
    String name = "Order 00011-001-0010";
    odoo.server().stubFor(odoo.createFromUi(name).willReturn(OdooStub.xml(OdooStub.response(
        "<value><array><data>\n</data></array></value>"))));
    odoo.finds(name, 90, 3, "POS/00003", 99.0); // another session, another total
    node = startNode(odoo.url(), OdooStub.PASSWORD, Map.of());

    payOffline("00011-001-0010", 5.0);

    OutboxRow dead = awaitState("00011-001-0010", OutboxState.DEAD);
    assertThat(dead.lastError()).contains("different order").contains("id 90");
  }

  @Test
  void theSameOrderBookedInARescueSessionCountsAsDelivered() throws Exception {
    odoo = new OdooStub().healthy(13);
    String name = "Order 00011-001-0011";
    odoo.server().stubFor(odoo.createFromUi(name).willReturn(OdooStub.xml(OdooStub.response(
        "<value><array><data>\n</data></array></value>"))));
    odoo.finds(name, 91, 19, "POS/00019 (RESCUE FOR POS/00011)", 5.0);
    node = startNode(odoo.url(), OdooStub.PASSWORD, Map.of());

    payOffline("00011-001-0011", 5.0);

    assertThat(awaitState("00011-001-0011", OutboxState.DONE).odooOrderId()).isEqualTo(91);
  }

  @Test
  void reconciliationReportsOnlineOrdersOdooDoesNotHave() throws Exception {
    odoo = new OdooStub().healthy(13);
    odoo.finds("Order 00011-001-0013", 95, 11, "POS/00011", 2.5);
    node = startNode(odoo.url(), OdooStub.PASSWORD,
        Map.of("reconcile.enabled", "true", "reconcile.delay", "1"));
    RpcClient rpc = new RpcClient(node.baseUri());
    rpc.call(UPDATE, update("odoo", 1, 1, syncAll(11, 1, false)));
    for (String uid : List.of("00011-001-0012", "00011-001-0013")) {
      rpc.call(UPDATE, update("odoo", 1, 1, updateOrder(11, uid, 1, 1, 1, "n" + uid, 1)));
      // Paid online: the terminal pushed it to Odoo itself and only finalizes it here.
      rpc.call(UPDATE, update("odoo", 1, 1, JsonParser.parseString("{\"action\":\"remove_order\","
          + "\"data\":{\"uid\":\"" + uid + "\",\"revision_ID\":1,\"finalized\":true,\"run_ID\":1,"
          + "\"pos_id\":11,\"nonce\":\"f" + uid + "\"},\"session_id\":11,\"login_number\":1}")
          .getAsJsonObject()));
    }

    OutboxRow missing = awaitState("00011-001-0012", OutboxState.MISSING, OutboxEntry.Kind.RECONCILE);
    assertThat(missing.lastError()).contains("Order 00011-001-0012");
    assertThat(awaitState("00011-001-0013", OutboxState.DONE, OutboxEntry.Kind.RECONCILE)
        .odooOrderId()).isEqualTo(95);
    assertThat(odoo.createCalls()).as("reconciliation never invents orders").isEmpty();
  }

  // --- helpers ----------------------------------------------------------------------------

  private TestNode startNode(String url, String password, Map<String, String> extra)
      throws Exception {
    Path pw = Files.writeString(tmp.resolve("odoo-password"), password + "\n");
    Map<String, String> settings = new HashMap<>(Map.of(
        "odoo.shop.url", url,
        "odoo.shop.database", OdooStub.DB,
        "odoo.shop.login", OdooStub.LOGIN,
        "odoo.shop.password_file", pw.toString(),
        "outbox.retry_min", "1",
        "outbox.retry_max", "1",
        "odoo.connect_timeout", "1"));
    settings.putAll(extra);
    return TestNode.start(settings);
  }

  /** A terminal of the multi-session finalizes an order it paid offline. */
  private void payOffline(String uid, double total) throws Exception {
    JsonObject data = JsonParser.parseString("""
        {"name":"Order %1$s","amount_paid":%2$s,"amount_total":%2$s,"amount_tax":0,
         "amount_return":0,"lines":[[0,0,{"qty":1,"price_unit":%2$s,"price_subtotal":%2$s,
         "price_subtotal_incl":%2$s,"discount":0,"product_id":31,"tax_ids":[[6,false,[]]],"id":1,
         "pack_lot_ids":[],"uid":"%1$s-1"}]],
         "statement_ids":[[0,0,{"name":"2026-12-01 10:15:00","statement_id":11,"account_id":22,
         "journal_id":6,"amount":%2$s}]],
         "pos_session_id":11,"pricelist_id":1,"partner_id":false,"user_id":1,"uid":"%1$s",
         "sequence_number":1,"creation_date":"2026-12-01T10:15:00.000Z","fiscal_position_id":false,
         "x_loyalty_card":"LC-1234","revision_ID":1,"run_ID":1}""".formatted(uid, total))
        .getAsJsonObject();
    JsonObject paid = new JsonObject();
    paid.addProperty("id", uid);
    paid.add("data", data);
    JsonObject removal = JsonParser.parseString("{\"action\":\"remove_order\",\"data\":{\"uid\":\""
        + uid + "\",\"revision_ID\":1,\"finalized\":true,\"run_ID\":1,\"pos_id\":11,\"nonce\":\"p"
        + uid + "\"},\"session_id\":11,\"login_number\":1}").getAsJsonObject();
    removal.getAsJsonObject("data").addProperty("order_data", paid.toString());
    RpcClient.Answer a = new RpcClient(node.baseUri()).call(UPDATE, update("odoo", 1, 1, removal));
    assertThat(a.isError()).as("%s", a.body()).isFalse();
  }

  private OutboxRow awaitState(String uid, OutboxState state) {
    return awaitState(uid, state, OutboxEntry.Kind.DELIVER);
  }

  private OutboxRow awaitState(String uid, OutboxState state, OutboxEntry.Kind kind) {
    await().atMost(Duration.ofSeconds(15)).until(() -> {
      OutboxRow r = row(uid, kind);
      return r != null && r.state() == state;
    });
    return row(uid, kind);
  }

  private OutboxRow row(String uid) {
    return row(uid, OutboxEntry.Kind.DELIVER);
  }

  private OutboxRow row(String uid, OutboxEntry.Kind kind) {
    return node.node().outboxStore().list("odoo", null, 100).stream()
        .filter(r -> r.uid().equals(uid) && r.kind() == kind).findFirst().orElse(null);
  }

  private static boolean matches(String body, String xpath) {
    return matchingXPath(xpath).match(body).isExactMatch();
  }

  private static String orderName(String body) {
    int i = body.indexOf("<name>name</name><value>");
    int start = i + "<name>name</name><value>".length();
    return body.substring(start, body.indexOf("</value>", start));
  }
}
