package io.possync.http;

import static io.possync.testing.Pos.poll;
import static io.possync.testing.Pos.syncAll;
import static io.possync.testing.Pos.update;
import static io.possync.testing.Pos.updateOrder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.app.PosSync;
import io.possync.config.Settings;
import io.possync.config.SettingsException;
import io.possync.outbox.OutboxPause;
import io.possync.testing.MutableClock;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin listener: who may read it, what /api/status says, and the health probes. */
class AdminApiTest {
  private static final String UPDATE = "/pos_multi_session_sync/update";
  private static final String POLL = "/longpolling/poll";
  private static final String TOKEN = "admin-api-test-7d3e91c4";
  private static final String DB = "odoo12";

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path tmp;

  @Test
  void theStatusPageApiAndMetricsNeedTheTokenWhileTheProbesAreOpen() throws Exception {
    try (TestNode node = TestNode.start(Map.of("admin.token", TOKEN))) {
      URI admin = node.adminUri();
      for (String path : new String[] {"/", "/app.js", "/api/status", "/metrics", "/nowhere"}) {
        HttpResponse<String> refused = get(admin, path, null);
        assertThat(refused.statusCode()).as(path).isEqualTo(401);
        // The challenge makes a browser show its own password prompt.
        assertThat(refused.headers().firstValue("WWW-Authenticate")).as(path)
            .hasValue("Basic realm=\"PosSync admin\", charset=\"UTF-8\"");
      }
      assertThat(get(admin, "/api/status", basic("admin", "not-the-token")).statusCode())
          .isEqualTo(401);
      assertThat(get(admin, "/api/status", "Bearer not-the-token").statusCode()).isEqualTo(401);
      assertThat(get(admin, "/api/status", basic(TOKEN, "")).statusCode())
          .as("the token as user name is no password").isEqualTo(401);
      assertThat(get(admin, "/api/status", "Basic %%%").statusCode()).isEqualTo(401);

      HttpResponse<String> status = get(admin, "/api/status", basic("anyone", TOKEN));
      assertThat(status.statusCode()).isEqualTo(200);
      assertThat(status.headers().firstValue("Content-Type"))
          .hasValue("application/json; charset=utf-8");
      assertThat(JsonParser.parseString(status.body()).getAsJsonObject().has("node")).isTrue();
      assertThat(get(admin, "/api/status", "Bearer " + TOKEN).statusCode()).isEqualTo(200);

      HttpResponse<String> metrics = get(admin, "/metrics", "Bearer " + TOKEN);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");

      HttpResponse<String> page = get(admin, "/", basic("admin", TOKEN));
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
      assertThat(page.headers().firstValue("Content-Security-Policy")).get().asString()
          .contains("script-src 'self'").doesNotContain("unsafe");
      assertThat(page.body()).contains("<script src=\"app.js\"");
      assertThat(get(admin, "/app.js", basic("admin", TOKEN)).headers()
          .firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
      assertThat(get(admin, "/style.css", basic("admin", TOKEN)).statusCode()).isEqualTo(200);
      assertThat(get(admin, "/nowhere", basic("admin", TOKEN)).statusCode()).isEqualTo(404);

      HttpResponse<String> health = get(admin, "/healthz", null);
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("ok");
      HttpResponse<String> ready = get(admin, "/readyz", null);
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(json(ready).get("ready").getAsBoolean()).isTrue();

      HttpResponse<String> post = http.send(HttpRequest.newBuilder(admin.resolve("/api/status"))
          .header("Authorization", "Bearer " + TOKEN)
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
    }
  }

  @Test
  void withoutATokenOnLoopbackTheStatusIsOpen() throws Exception {
    try (TestNode node = TestNode.start()) {
      assertThat(get(node.adminUri(), "/api/status", null).statusCode()).isEqualTo(200);
      assertThat(get(node.adminUri(), "/", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theAdminListenerIsNotThePosListener() throws Exception {
    try (TestNode node = TestNode.start(Map.of("admin.token", TOKEN))) {
      assertThat(node.node().adminPort()).isNotEqualTo(node.port());
      // The POS port knows nothing of the status.
      assertThat(get(node.baseUri(), "/api/status", "Bearer " + TOKEN).statusCode())
          .isNotEqualTo(200);
    }
  }

  @Test
  void theStatusReportsMultiSessionsTerminalsOutboxAndTraffic() throws Exception {
    Path password = Files.writeString(tmp.resolve("odoo-password"), "pw\n");
    Map<String, String> settings = new HashMap<>(Map.of(
        "admin.token", TOKEN,
        "admin.offline_after", "3",
        // An Odoo nobody listens for: the paid-offline order waits in the outbox with an error.
        "odoo.shop.url", "http://127.0.0.1:1",
        "odoo.shop.database", "odoo",
        "odoo.shop.login", "possync",
        "odoo.shop.password_file", password.toString(),
        "odoo.shop.pos_dbname", DB,
        "odoo.connect_timeout", "1",
        "outbox.retry_min", "1",
        "outbox.retry_max", "1"));
    try (TestNode node = TestNode.start(settings)) {
      RpcClient rpc = new RpcClient(node.baseUri());
      // A bar (POS 1, user 101) and a waiter's tablet (POS 2, user 102) in multi-session 1.
      rpc.call(UPDATE, update(DB, 1, 101, syncAll(1, 1, false)));
      rpc.call(UPDATE, update(DB, 1, 102, syncAll(2, 1, false)));
      rpc.call(UPDATE, update(DB, 1, 101, updateOrder(1, "00001-001-0001", 1, 1, 1, "a", 1)));
      rpc.call(UPDATE, update(DB, 1, 101, updateOrder(1, "00001-001-0002", 2, 1, 1, "b", 2)));
      payOffline(rpc, "00001-001-0002");
      // Only the bar polls (a first poll, answered at once with the history).
      rpc.call(POLL, poll(DB, 1, 0));

      JsonObject status = status(node);
      JsonObject nodeInfo = status.getAsJsonObject("node");
      assertThat(nodeInfo.get("version").getAsString()).isNotBlank().doesNotContain("${");
      assertThat(nodeInfo.get("last_notification_id").getAsLong())
          .isEqualTo(node.node().bus().lastId());
      assertThat(nodeInfo.get("held_polls").getAsInt()).isZero();
      assertThat(nodeInfo.get("heap_used_bytes").getAsLong()).isPositive();
      assertThat(nodeInfo.get("heap_max_bytes").getAsLong())
          .isGreaterThanOrEqualTo(nodeInfo.get("heap_used_bytes").getAsLong());
      assertThat(nodeInfo.get("started_at").getAsLong())
          .isLessThanOrEqualTo(nodeInfo.get("now").getAsLong());
      assertThat(nodeInfo.get("pos_listener").getAsString()).isEqualTo("127.0.0.1:" + node.port());
      assertThat(status.getAsJsonObject("thresholds").get("offline_after_seconds").getAsLong())
          .isEqualTo(3);

      JsonArray databases = status.getAsJsonArray("databases");
      assertThat(databases).hasSize(1);
      JsonObject db = databases.get(0).getAsJsonObject();
      assertThat(db.get("dbname").getAsString()).isEqualTo(DB);
      assertThat(db.getAsJsonArray("other_terminals")).isEmpty();
      JsonObject ms = db.getAsJsonArray("multi_sessions").get(0).getAsJsonObject();
      assertThat(ms.get("id").getAsLong()).isEqualTo(1);
      assertThat(ms.get("run").getAsLong()).isEqualTo(1);
      assertThat(ms.get("last_sequence_number").getAsLong()).isEqualTo(2);
      assertThat(ms.get("draft_orders").getAsLong()).as("one paid, one open").isEqualTo(1);
      assertThat(ms.get("orders_kept").getAsInt()).as("the paid one as a tombstone").isEqualTo(2);
      JsonArray terminals = ms.getAsJsonArray("terminals");
      assertThat(terminals).hasSize(2);
      JsonObject bar = terminals.get(0).getAsJsonObject();
      assertThat(bar.get("pos_id").getAsLong()).isEqualTo(1);
      assertThat(bar.get("user_id").getAsLong()).isEqualTo(101);
      // 1 + its sync_all + three broadcasts
      assertThat(bar.get("message_id").getAsLong()).isEqualTo(5);
      assertThat(bar.get("last_poll").isJsonNull()).isFalse();
      assertThat(bar.get("state").getAsString()).isEqualTo("online");
      JsonObject tablet = terminals.get(1).getAsJsonObject();
      assertThat(tablet.get("pos_id").getAsLong()).isEqualTo(2);
      assertThat(tablet.get("user_id").getAsLong()).isEqualTo(102);
      assertThat(tablet.get("last_poll").isJsonNull()).as("never polled").isTrue();
      assertThat(tablet.get("state").getAsString()).isEqualTo("offline");

      // The outbox: the paid order waits, with the reason of the failed attempt.
      await().atMost(Duration.ofSeconds(10)).until(() -> !outboxEntry(status(node))
          .get("last_error").isJsonNull());
      JsonObject outbox = status(node).getAsJsonObject("outbox");
      assertThat(outbox.getAsJsonArray("configured").get(0).getAsString()).isEqualTo(DB);
      assertThat(outbox.getAsJsonObject("counts").getAsJsonObject(DB).get("pending").getAsInt())
          .isEqualTo(1);
      JsonObject entry = outbox.getAsJsonArray("recent").get(0).getAsJsonObject();
      assertThat(entry.get("state").getAsString()).isEqualTo("pending");
      assertThat(entry.get("kind").getAsString()).isEqualTo("deliver");
      assertThat(entry.get("pos_reference").getAsString()).isEqualTo("Order 00001-001-0002");
      assertThat(entry.get("attempts").getAsInt()).isPositive();
      assertThat(entry.has("payload")).as("order data stays off the page").isFalse();
      assertThat(outbox.getAsJsonArray("paused")).isEmpty();

      // A paused outbox shows with its reason, in the status and in the readiness details.
      node.node().outboxStore().pause(
          new OutboxPause(DB, "Odoo refused the login of possync", "fp", 1_700_000_000_000L)).get();
      JsonObject paused = status(node).getAsJsonObject("outbox").getAsJsonArray("paused").get(0)
          .getAsJsonObject();
      assertThat(paused.get("dbname").getAsString()).isEqualTo(DB);
      assertThat(paused.get("reason").getAsString()).contains("refused the login");
      HttpResponse<String> ready = get(node.adminUri(), "/readyz", null);
      assertThat(ready.statusCode()).as("terminals keep syncing meanwhile").isEqualTo(200);
      JsonObject readyOutbox = json(ready).getAsJsonArray("outbox").get(0).getAsJsonObject();
      assertThat(readyOutbox.get("dbname").getAsString()).isEqualTo(DB);
      assertThat(readyOutbox.get("paused").getAsBoolean()).isTrue();
      assertThat(readyOutbox.get("reason").getAsString()).contains("refused the login");

      // Fan-out: the tablet waits in a poll, an update wakes it.
      long last = node.node().bus().lastId();
      CompletableFuture<RpcClient.Answer> waiting = rpc.callAsync(POLL, poll(DB, 2, last));
      await().atMost(Duration.ofSeconds(5)).until(() -> node.node().bus().heldPolls() == 1);
      rpc.call(UPDATE, update(DB, 1, 101, updateOrder(1, "00001-001-0001", 1, 1, 1, "c", 3)));
      assertThat(waiting.get().result().getAsJsonArray()).isNotEmpty();
      assertThat(status(node).getAsJsonObject("node").get("held_polls").getAsInt()).isZero();
      JsonObject tabletNow = status(node).getAsJsonArray("databases").get(0).getAsJsonObject()
          .getAsJsonArray("multi_sessions").get(0).getAsJsonObject().getAsJsonArray("terminals")
          .get(1).getAsJsonObject();
      assertThat(tabletNow.get("state").getAsString()).isEqualTo("online");

      // Within one 5-second step the history shows the updates and the fan-out latency.
      await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(200))
          .until(() -> fanoutPoint(status(node)) != null);
      JsonObject history = status(node).getAsJsonObject("history");
      assertThat(history.get("step_seconds").getAsLong()).isEqualTo(5);
      JsonObject point = fanoutPoint(status(node));
      assertThat(point.get("fanout_ms_avg").getAsDouble()).isBetween(0.0, 1000.0);
      assertThat(point.get("fanout_ms_max").getAsLong()).isBetween(0L, 1000L);
      double updates = 0;
      for (JsonElement p : history.getAsJsonArray("points")) {
        updates += p.getAsJsonObject().get("updates_per_second").getAsDouble() * 5;
      }
      assertThat(updates).as("every update call counted once").isCloseTo(6.0, within(1e-9));
    }
  }

  @Test
  void readyzAnswers503WhileTheStoreCannotWriteAndRecoversWithIt() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T10:00:00Z"));
    try (TestNode node = TestNode.start(Map.of("store.max_bytes", "262144",
        "retention.notifications", "100"), clock)) {
      assertThat(get(node.adminUri(), "/readyz", null).statusCode()).isEqualTo(200);
      RpcClient rpc = new RpcClient(node.baseUri());
      for (long pos = 1; pos <= 3; pos++) {
        rpc.call(UPDATE, update("db", 1, 1, syncAll(pos, 1, false)));
      }
      // Big updates until the store refuses one (as in DurableStateTest).
      String bulk = "x".repeat(4000);
      long revision = 1;
      boolean refused = false;
      for (int i = 0; i < 400 && !refused; i++) {
        JsonObject message = updateOrder(1, "BIG", 1, revision, 1, "b" + i, i);
        message.getAsJsonObject("data").addProperty("note", bulk);
        RpcClient.Answer a = rpc.call(UPDATE, update("db", 1, 1, message));
        refused = a.isError();
        if (!refused) {
          revision = a.result().getAsJsonObject().get("revision_ID").getAsLong();
        }
      }
      assertThat(refused).as("the store filled up").isTrue();

      HttpResponse<String> full = get(node.adminUri(), "/readyz", null);
      assertThat(full.statusCode()).isEqualTo(503);
      JsonObject body = json(full);
      assertThat(body.get("ready").getAsBoolean()).isFalse();
      assertThat(body.getAsJsonObject("store").get("writable").getAsBoolean()).isFalse();
      assertThat(body.getAsJsonObject("store").get("error").getAsString()).contains("full");
      assertThat(get(node.adminUri(), "/healthz", null).statusCode()).as("alive all the same")
          .isEqualTo(200);

      // Retention frees room: ready again, without any terminal having to write first.
      clock.advance(Duration.ofSeconds(101));
      node.node().sweep();
      node.node().committer().submit(() -> { }).get();
      HttpResponse<String> again = get(node.adminUri(), "/readyz", null);
      assertThat(again.statusCode()).as("%s", again.body()).isEqualTo(200);
    }
  }

  @Test
  void aNonLoopbackAdminHostWithoutATokenRefusesToStartBeforeOpeningAnything() throws Exception {
    Path data = tmp.resolve("data");
    // 192.0.2.0/24 is reserved for documentation: nothing is bound, the check comes first.
    Settings settings = Settings.load(null, Map.of(), Map.of("admin.host", "192.0.2.10",
        "admin.port", "0", "http.port", "0", "store.data_dir", data.toString()));
    assertThatThrownBy(() -> new PosSync(settings, Clock.systemUTC()))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("192.0.2.10")
        .hasMessageContaining("admin.token")
        .hasMessageContaining("POSSYNC_ADMIN_TOKEN");
    assertThat(data).doesNotExist();
  }

  // --- helpers ----------------------------------------------------------------------------

  /** The order was paid while the till could not reach Odoo: it comes whole (§5.12). */
  private static void payOffline(RpcClient rpc, String uid) throws Exception {
    JsonObject data = JsonParser.parseString("""
        {"name":"Order %1$s","amount_paid":5,"amount_total":5,"amount_tax":0,"amount_return":0,
         "lines":[[0,0,{"qty":2,"price_unit":2.5,"price_subtotal":5,"price_subtotal_incl":5,
         "discount":0,"product_id":31,"tax_ids":[[6,false,[]]],"id":1,"pack_lot_ids":[],
         "uid":"%1$s-1"}]],
         "statement_ids":[[0,0,{"name":"2026-12-01 10:15:00","statement_id":11,"account_id":22,
         "journal_id":6,"amount":5}]],
         "pos_session_id":11,"pricelist_id":1,"partner_id":false,"user_id":101,"uid":"%1$s",
         "sequence_number":2,"creation_date":"2026-12-01T10:15:00.000Z",
         "fiscal_position_id":false,"revision_ID":1,"run_ID":1}""".formatted(uid))
        .getAsJsonObject();
    JsonObject paid = new JsonObject();
    paid.addProperty("id", uid);
    paid.add("data", data);
    JsonObject removal = JsonParser.parseString("{\"action\":\"remove_order\",\"data\":{\"uid\":\""
        + uid + "\",\"revision_ID\":1,\"finalized\":true,\"run_ID\":1,\"pos_id\":1,\"nonce\":\"p"
        + uid + "\"},\"session_id\":1,\"login_number\":1}").getAsJsonObject();
    removal.getAsJsonObject("data").addProperty("order_data", paid.toString());
    RpcClient.Answer a = rpc.call(UPDATE, update(DB, 1, 101, removal));
    assertThat(a.isError()).as("%s", a.body()).isFalse();
  }

  private JsonObject status(TestNode node) throws IOException, InterruptedException {
    HttpResponse<String> r = get(node.adminUri(), "/api/status", "Bearer " + TOKEN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r);
  }

  private static JsonObject outboxEntry(JsonObject status) {
    return status.getAsJsonObject("outbox").getAsJsonArray("recent").get(0).getAsJsonObject();
  }

  private static JsonObject fanoutPoint(JsonObject status) {
    for (JsonElement p : status.getAsJsonObject("history").getAsJsonArray("points")) {
      if (!p.getAsJsonObject().get("fanout_ms_avg").isJsonNull()) {
        return p.getAsJsonObject();
      }
    }
    return null;
  }

  private HttpResponse<String> get(URI base, String path, String authorization)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
        .getBytes(StandardCharsets.UTF_8));
  }

  private static JsonObject json(HttpResponse<String> r) {
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }
}
