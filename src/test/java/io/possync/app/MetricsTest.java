package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.testing.Pos;
import io.possync.testing.PrometheusText;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import io.possync.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meters an operator scrapes move with what happens: two terminals sync, one waits on a poll,
 * the other's order wakes it, a stale update conflicts, a malformed one is refused, and an order
 * paid offline waits in the outbox because Odoo is down. Scraped before and after, as Prometheus
 * would, and parsed from the text format.
 */
class MetricsTest {
  private static final String UPDATE = "/pos_multi_session_sync/update";
  private static final String POLL = "/longpolling/poll";

  @TempDir
  Path tmp;

  @Test
  void aShiftOfTwoTerminalsMovesEveryMeter() throws Exception {
    Path password = Files.writeString(tmp.resolve("odoo.pw"), "secret\n");
    int odooDown = ServerProcess.freePort();
    try (TestNode node = TestNode.start(Map.of(
        "odoo.shop.url", "http://127.0.0.1:" + odooDown, "odoo.shop.database", "odoo",
        "odoo.shop.login", "possync", "odoo.shop.password_file", password.toString(),
        "outbox.retry_min", "60", "outbox.retry_max", "60", "odoo.connect_timeout", "1"))) {
      Metrics metrics = node.node().metrics();
      RpcClient rpc = new RpcClient(node.baseUri());
      PrometheusText before = PrometheusText.parse(metrics.scrape());

      // The bar (POS 1, user 1) and a waiter's tablet (POS 2, user 2) join multi-session 1.
      rpc.call(UPDATE, Pos.update("odoo", 1, 1, Pos.syncAll(1, 1, false)));
      rpc.call(UPDATE, Pos.update("odoo", 1, 2, Pos.syncAll(2, 1, false)));
      rpc.call(UPDATE, Pos.update("odoo", 1, 2, Pos.syncAll(2, 1, true)));

      // The tablet waits for news.
      CompletableFuture<RpcClient.Answer> waiting =
          rpc.callAsync(POLL, Pos.poll("odoo", 2, node.node().bus().lastId()));
      await().atMost(Duration.ofSeconds(5)).until(() -> node.node().bus().heldPolls() == 1);
      PrometheusText during = PrometheusText.parse(metrics.scrape());
      assertThat(during.value("possync_polls_held")).isEqualTo(1);

      // The bar opens an order: the tablet's poll is answered with it.
      rpc.call(UPDATE, Pos.update("odoo", 1, 1,
          Pos.updateOrder(1, "00001-001-0001", 1, 1, 1, "n1", 1)));
      assertThat(waiting.get(10, TimeUnit.SECONDS).result().getAsJsonArray()).isNotEmpty();

      // A stale revision is a conflict (a result, not an error); a message without one is refused.
      JsonObject stale = rpc.call(UPDATE, Pos.update("odoo", 1, 2,
          Pos.updateOrder(2, "00001-001-0001", 1, 7, 1, "n2", 3))).result().getAsJsonObject();
      assertThat(stale.get("action").getAsString()).isEqualTo("revision_error");
      assertThat(rpc.call(UPDATE, JsonParser.parseString("{\"dbname\":\"odoo\"}")).isError())
          .isTrue();

      // The tablet hands over an order paid while it was offline; Odoo is down, so it waits.
      JsonObject removal = Pos.removeOrder(2, "00002-001-0001", 1, 1, "paid-1");
      removal.getAsJsonObject("data").addProperty("finalized", true);
      removal.getAsJsonObject("data").addProperty("order_data", "{\"id\":\"00002-001-0001\","
          + "\"data\":{\"name\":\"Order 00002-001-0001\",\"uid\":\"00002-001-0001\"}}");
      rpc.call(UPDATE, Pos.update("odoo", 1, 2, removal));
      await().atMost(Duration.ofSeconds(10)).until(() -> node.node().outboxStore()
          .list("odoo", null, 10).stream().anyMatch(r -> r.attempts() > 0));

      PrometheusText after = PrometheusText.parse(metrics.scrape());

      // Requests by route and outcome.
      assertThat(after.value("possync_requests_total", "route", UPDATE, "outcome", "ok")
          - before.sum("possync_requests_total", "route", UPDATE, "outcome", "ok"))
          .isEqualTo(6);
      assertThat(after.value("possync_requests_total", "route", UPDATE,
          "outcome", "InvalidParams")).isEqualTo(1);
      assertThat(after.value("possync_requests_total", "route", POLL, "outcome", "ok"))
          .isEqualTo(1);
      assertThat(after.type("possync_requests_total")).isEqualTo("counter");

      // Update latency by action, as a histogram.
      assertThat(increase(before, after, "possync_update_seconds_count", "action", "sync_all"))
          .isEqualTo(3);
      assertThat(increase(before, after, "possync_update_seconds_count", "action",
          "update_order")).isEqualTo(2);
      assertThat(increase(before, after, "possync_update_seconds_count", "action",
          "remove_order")).isEqualTo(1);
      assertThat(after.value("possync_update_seconds_sum", "action", "update_order"))
          .isPositive();
      assertThat(after.value("possync_update_seconds_bucket", "action", "update_order",
          "le", "+Inf")).isEqualTo(2);
      assertThat(after.type("possync_update_seconds")).isEqualTo("histogram");

      // Fan-out: the woken poll.
      assertThat(increase(before, after, "possync_fanout_seconds_count")).isEqualTo(1);
      assertThat(after.value("possync_fanout_seconds_sum")).isPositive();

      // Held polls back to none once answered.
      assertThat(before.value("possync_polls_held")).isZero();
      assertThat(after.value("possync_polls_held")).isZero();

      // Notifications: two sync_all answers, the order to both terminals, the removal to both.
      assertThat(increase(before, after, "possync_notifications_published_total")).isEqualTo(6);
      assertThat(after.type("possync_notifications_published_total")).isEqualTo("counter");

      // Revision errors.
      assertThat(increase(before, after, "possync_revision_errors_total", "action",
          "update_order")).isEqualTo(1);

      // sync_all per terminal.
      assertThat(after.value("possync_sync_all_total", "db", "odoo", "pos", "1")).isEqualTo(1);
      assertThat(after.value("possync_sync_all_total", "db", "odoo", "pos", "2")).isEqualTo(2);

      // The outbox: one paid order waiting, how long, and why.
      assertThat(before.value("possync_outbox_entries", "db", "odoo", "state", "pending"))
          .isZero();
      assertThat(after.value("possync_outbox_entries", "db", "odoo", "state", "pending"))
          .isEqualTo(1);
      assertThat(after.value("possync_outbox_entries", "db", "odoo", "state", "dead")).isZero();
      assertThat(after.type("possync_outbox_entries")).isEqualTo("gauge");
      assertThat(before.value("possync_outbox_oldest_pending_age_seconds", "db", "odoo")).isZero();
      assertThat(after.value("possync_outbox_oldest_pending_age_seconds", "db", "odoo"))
          .isPositive().isLessThan(60);
      assertThat(after.value("possync_outbox_failures_total", "db", "odoo",
          "kind", "unreachable")).isEqualTo(1);

      // The store: every change committed, in batches.
      double commits = increase(before, after, "possync_store_commit_seconds_count");
      assertThat(commits).isGreaterThanOrEqualTo(1);
      assertThat(increase(before, after, "possync_store_commit_batch_size_count"))
          .isEqualTo(commits);
      assertThat(increase(before, after, "possync_store_commit_batch_size_sum"))
          .as("every decided update, conflicting or not, once").isEqualTo(6);
      assertThat(after.sum("possync_store_commit_failures_total")).isZero();

      // The JVM, from Micrometer's binders.
      assertThat(after.sum("jvm_memory_used_bytes", "area", "heap")).isPositive();
      assertThat(after.value("jvm_threads_live_threads")).isPositive();
      assertThat(after.has("jvm_gc_memory_allocated_bytes_total")).isTrue();
      assertThat(after.value("process_uptime_seconds"))
          .isGreaterThanOrEqualTo(before.value("process_uptime_seconds"));
      assertThat(after.sum("disk_free_bytes")).isPositive();
    }
  }

  @Test
  void theAdminListenerServesTheScrapeToPrometheus() throws Exception {
    try (TestNode node = TestNode.start(Map.of("admin.token", "0123456789abcdef-metrics"))) {
      new RpcClient(node.baseUri()).call(UPDATE, Pos.update("odoo", 1, 1,
          Pos.syncAll(1, 1, true)));
      HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(node.adminUri() + "/metrics"))
          .header("Authorization", "Bearer 0123456789abcdef-metrics").build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(scrape.statusCode()).isEqualTo(200);
      PrometheusText text = PrometheusText.parse(scrape.body());
      assertThat(text.value("possync_requests_total", "route", UPDATE, "outcome", "ok"))
          .isEqualTo(1);
      assertThat(text.value("possync_sync_all_total", "db", "odoo", "pos", "1")).isEqualTo(1);
      assertThat(text.has("jvm_threads_live_threads")).isTrue();
    }
  }

  @Test
  void terminalsBeyondTheBoundAreCountedTogether() throws Exception {
    try (Metrics metrics = new Metrics(java.time.Clock.systemUTC())) {
      for (long pos = 1; pos <= Metrics.MAX_TERMINAL_SERIES + 5; pos++) {
        metrics.syncAll("odoo", pos);
      }
      metrics.syncAll("odoo", 1);
      PrometheusText scrape = PrometheusText.parse(metrics.scrape());

      assertThat(scrape.matching("possync_sync_all_total"))
          .hasSize(Metrics.MAX_TERMINAL_SERIES + 1);
      assertThat(scrape.value("possync_sync_all_total", "db", "odoo", "pos", "1")).isEqualTo(2);
      assertThat(scrape.value("possync_sync_all_total", "db", "other", "pos", "other"))
          .isEqualTo(5);
    }
  }

  private static double increase(PrometheusText before, PrometheusText after, String name,
      String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }
}
