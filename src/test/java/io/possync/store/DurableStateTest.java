package io.possync.store;

import static io.possync.testing.Pos.poll;
import static io.possync.testing.Pos.removeOrder;
import static io.possync.testing.Pos.syncAll;
import static io.possync.testing.Pos.update;
import static io.possync.testing.Pos.updateOrder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.app.PosSync;
import io.possync.config.Settings;
import io.possync.sync.MultiSessionKey;
import io.possync.testing.MutableClock;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What survives a restart, what retention removes, and how the store fails safely. */
class DurableStateTest {
  private static final String UPDATE = "/pos_multi_session_sync/update";
  private static final String POLL = "/longpolling/poll";

  @Test
  void aRestartIsInvisibleToTerminals() throws Exception {
    try (TestNode node = TestNode.start()) {
      RpcClient rpc = new RpcClient(node.baseUri());
      rpc.call(UPDATE, update("db", 1, 2, syncAll(1, 1, false)));
      rpc.call(UPDATE, update("db", 1, 6, syncAll(2, 1, false)));
      JsonObject created = result(rpc.call(UPDATE,
          update("db", 1, 2, updateOrder(1, "00001-001-0001", 1, 1, 1, "n1", 1))));
      assertThat(created.get("revision_ID").getAsLong()).isEqualTo(1);
      JsonObject changed = result(rpc.call(UPDATE,
          update("db", 1, 2, updateOrder(1, "00001-001-0001", 1, 1, 1, "n2", 3))));
      assertThat(changed.get("revision_ID").getAsLong()).isEqualTo(2);
      JsonArray beforeRestart = rpc.call(POLL, poll("db", 2, 0)).result().getAsJsonArray();
      long lastBefore = lastId(beforeRestart);
      long firstOfLastUpdate = beforeRestart.get(beforeRestart.size() - 2).getAsJsonObject()
          .get("id").getAsLong();

      node.restart();

      // A terminal polling with an older `last` still gets what it missed.
      JsonArray missed = rpc.call(POLL, poll("db", 2, firstOfLastUpdate - 1)).result()
          .getAsJsonArray();
      assertThat(missed).isNotEmpty();
      assertThat(lastId(missed)).isEqualTo(lastBefore);
      // The order, its revision and the counters are back.
      JsonObject sync = result(rpc.call(UPDATE, update("db", 1, 6, syncAll(2, 1, true))));
      JsonObject order = sync.getAsJsonObject("data").getAsJsonArray("orders").get(0)
          .getAsJsonObject().getAsJsonObject("data");
      assertThat(order.get("revision_ID").getAsLong()).isEqualTo(2);
      assertThat(order.get("sequence_number").getAsLong()).isEqualTo(1);
      assertThat(sync.getAsJsonObject("data").get("order_ID").getAsLong()).isEqualTo(1);
      // POS 2 had message_ID 1 + sync_all + 2 broadcasts = 4; this sync_all makes it 5.
      assertThat(sync.getAsJsonObject("data").get("message_ID").getAsLong()).isEqualTo(5);
      // The next update continues the revision chain and the numbering; ids keep growing.
      JsonObject next = result(rpc.call(UPDATE,
          update("db", 1, 2, updateOrder(1, "00001-001-0002", 2, 1, 1, "n3", 1))));
      assertThat(next.get("order_ID").getAsLong()).isEqualTo(2);
      JsonArray after = rpc.call(POLL, poll("db", 1, lastBefore)).result().getAsJsonArray();
      assertThat(after.get(0).getAsJsonObject().get("id").getAsLong()).isGreaterThan(lastBefore);
    }
  }

  @Test
  void coldMultiSessionsAreEvictedAndReloadedInvisibly() throws Exception {
    try (TestNode node = TestNode.start(Map.of("state.hot_bytes", "1048576"))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      int sessions = 3000; // 1 KiB of weight each at least: far more than 1 MiB
      for (long ms = 1; ms <= sessions; ms++) {
        rpc.call(UPDATE, update("db", ms, 1, syncAll(ms, 1, false)));
        rpc.call(UPDATE, update("db", ms, 1,
            updateOrder(ms, "00001-001-" + ms, 1, 1, 1, "c" + ms, ms)));
      }
      assertThat(node.node().pipeline().multiSessionCount()).isLessThan(sessions);
      for (long ms = 1; ms <= sessions; ms += 499) {
        JsonObject sync = result(rpc.call(UPDATE, update("db", ms, 1, syncAll(ms, 1, true))));
        JsonArray orders = sync.getAsJsonObject("data").getAsJsonArray("orders");
        assertThat(orders).hasSize(1);
        assertThat(orders.get(0).getAsJsonObject().getAsJsonObject("data").get("uid")
            .getAsString()).isEqualTo("00001-001-" + ms);
        // message_ID: 1, +1 sync_all, +1 broadcast, +1 this sync_all
        assertThat(sync.getAsJsonObject("data").get("message_ID").getAsLong()).isEqualTo(4);
      }
    }
  }

  @Test
  void retentionForgetsOldNotificationsAndOldRunsTombstones() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T10:00:00Z"));
    try (TestNode node = TestNode.start(Map.of("retention.notifications", "120",
        "retention.orders", "3600"), clock)) {
      RpcClient rpc = new RpcClient(node.baseUri());
      rpc.call(UPDATE, update("db", 1, 1, syncAll(1, 1, false)));
      rpc.call(UPDATE, update("db", 1, 1, updateOrder(1, "A", 1, 1, 1, "a1", 1)));
      rpc.call(UPDATE, update("db", 1, 1, removeOrder(1, "A", 1, 1, "a2")));
      assertThat(rpc.call(POLL, poll("db", 1, 1)).result().getAsJsonArray()).hasSize(2);

      clock.advance(Duration.ofSeconds(121));
      node.node().sweep();
      node.restart();
      // Notifications past retention are gone from memory and from the store.
      assertThat(rpc.call(POLL, poll("db", 1, 1)).result().getAsJsonArray()).isEmpty();
      // The tombstone of the current run stays: a late update still learns "deleted".
      JsonObject late = result(rpc.call(UPDATE,
          update("db", 1, 1, updateOrder(1, "A", 1, 1, 1, "a3", 2))));
      assertThat(late.get("state").getAsString()).isEqualTo("deleted");

      // A new run starts; an hour later the old run's tombstone is purged.
      rpc.call(UPDATE, update("db", 1, 1, syncAll(1, 2, false)));
      clock.advance(Duration.ofSeconds(3601));
      node.node().sweep();
      node.restart();
      JsonObject sync = result(rpc.call(UPDATE, update("db", 1, 1, withUid(syncAll(1, 2, true),
          "A"))));
      assertThat(sync.getAsJsonObject("data").getAsJsonArray("orders")).isEmpty();
      assertThat(node.node().pipeline().status(new MultiSessionKey("db", 1)).orElseThrow().orders())
          .isZero();
    }
  }

  /**
   * The store keeps every notification the retention time covers, far more than the bus keeps in
   * memory on a busy node; a start loads only the newest that fit the byte budget (loading them
   * all ran out of heap after a long fuzz run).
   */
  @Test
  void aStartLoadsOnlyTheNewestNotificationsThatFitTheByteBudget() throws Exception {
    long budget = 1L << 20;
    try (TestNode node = TestNode.start(Map.of("retention.notification_bytes",
        Long.toString(budget)))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      rpc.call(UPDATE, update("db", 1, 1, syncAll(1, 1, false)));
      rpc.call(UPDATE, update("db", 1, 2, syncAll(2, 1, false)));
      long revision = 1;
      for (int i = 1; i <= 20; i++) {
        JsonObject message = updateOrder(1, "00001-001-0001", 1, revision, 1, "big" + i, i);
        message.getAsJsonObject("data").addProperty("note", "n".repeat(60_000));
        revision = result(rpc.call(UPDATE, update("db", 1, 1, message))).get("revision_ID")
            .getAsLong();
      }
      long last = node.node().bus().lastId();

      var loaded = node.node().store().notificationsSince(0, budget);
      assertThat(loaded.stream().mapToLong(n -> n.footprint()).sum()).isLessThanOrEqualTo(budget);
      assertThat(loaded).isNotEmpty();
      assertThat(loaded.get(loaded.size() - 1).id()).isEqualTo(last);
      assertThat(loaded).isSortedAccordingTo(
          java.util.Comparator.comparingLong(io.possync.wire.Notification::id));
      assertThat(node.node().store().notificationsSince(0, Long.MAX_VALUE).size())
          .as("the table itself keeps more").isGreaterThan(loaded.size());

      node.restart();
      assertThat(node.node().bus().retainedBytes()).isBetween(1L, budget);
      JsonArray newest = rpc.call(POLL, poll("db", 2, last - 1)).result().getAsJsonArray();
      assertThat(lastId(newest)).isEqualTo(last);
    }
  }

  @Test
  void aFullDiskRefusesChangesCleanlyAndRecoversWhenRetentionFreesRoom() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T10:00:00Z"));
    try (TestNode node = TestNode.start(Map.of("store.max_bytes", "262144",
        "retention.notifications", "100"), clock)) {
      RpcClient rpc = new RpcClient(node.baseUri());
      for (long pos = 1; pos <= 3; pos++) {
        rpc.call(UPDATE, update("db", 1, 1, syncAll(pos, 1, false)));
      }
      String bulk = "x".repeat(4000);
      long revision = 1;
      long sequence = 1;
      int refused = 0;
      JsonObject lastAccepted = null;
      for (int i = 0; i < 400 && refused == 0; i++) {
        JsonObject message = updateOrder(1, "BIG", sequence, revision, 1, "b" + i, i);
        message.getAsJsonObject("data").addProperty("note", bulk);
        RpcClient.Answer a = rpc.call(UPDATE, update("db", 1, 1, message));
        if (a.isError()) {
          refused++;
          assertThat(a.status()).isEqualTo(200);
          assertThat(a.error().getAsJsonObject("data").get("name").getAsString())
              .isEqualTo("possync.exceptions.StoreUnavailable");
        } else {
          lastAccepted = a.result().getAsJsonObject();
          revision = lastAccepted.get("revision_ID").getAsLong();
          sequence = lastAccepted.get("order_ID").getAsLong();
        }
      }
      assertThat(refused).as("the store filled up").isEqualTo(1);
      assertThat(lastAccepted).isNotNull();

      // Old notifications expire; their room is reused and changes are accepted again.
      clock.advance(Duration.ofSeconds(101));
      node.node().sweep();
      node.node().committer().submit(() -> { }).get(); // the purge ran on the writer
      // Nothing half-written: the server has the last acknowledged revision, not the refused one.
      JsonObject order = onlyOrder(rpc);
      assertThat(order.get("revision_ID").getAsLong()).isEqualTo(revision);
      RpcClient.Answer again = rpc.call(UPDATE, update("db", 1, 1,
          updateOrder(1, "BIG", sequence, revision, 1, "after", 1)));
      assertThat(again.isError()).as("%s", again.body()).isFalse();
      assertThat(again.result().getAsJsonObject().get("revision_ID").getAsLong())
          .isEqualTo(revision + 1);
    }
  }

  @Test
  void aDamagedDatabaseIsNeverReplacedByAnEmptyOne(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("possync.db"), "this is not a database, it is a grocery list".repeat(200)
        .getBytes());
    Settings settings = Settings.load(null, Map.of(), Map.of("http.port", "0",
        "store.data_dir", dir.toString()));
    assertThatThrownBy(() -> new PosSync(settings, java.time.Clock.systemUTC()))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("possync.db");
    assertThat(Files.readString(dir.resolve("possync.db"))).startsWith("this is not a database");
  }

  @Test
  void aDataDirectoryThatIsAFileOrInUseIsRefused(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("plain-file"), "x");
    assertThatThrownBy(() -> SqliteStore.open(file, SqliteStore.SyncPolicy.PROCESS, 0))
        .isInstanceOf(StoreException.class).hasMessageContaining("plain-file");
    try (SqliteStore first = SqliteStore.open(dir.resolve("d"), SqliteStore.SyncPolicy.PROCESS, 0)) {
      assertThatThrownBy(() -> SqliteStore.open(dir.resolve("d"), SqliteStore.SyncPolicy.PROCESS, 0))
          .isInstanceOf(StoreException.class).hasMessageContaining("in use");
      assertThat(first.lastNotificationId()).isZero();
    }
  }

  private static JsonObject onlyOrder(RpcClient rpc) throws Exception {
    JsonObject sync = result(rpc.call(UPDATE, update("db", 1, 1, syncAll(1, 1, true))));
    JsonArray orders = sync.getAsJsonObject("data").getAsJsonArray("orders");
    assertThat(orders).hasSize(1);
    return orders.get(0).getAsJsonObject().getAsJsonObject("data");
  }

  private static JsonObject withUid(JsonObject message, String uid) {
    message.addProperty("uid", uid);
    return message;
  }

  private static JsonObject result(RpcClient.Answer a) {
    assertThat(a.isError()).as("%s", a.body()).isFalse();
    return a.result().getAsJsonObject();
  }

  private static long lastId(JsonArray notifications) {
    long max = 0;
    for (JsonElement n : notifications) {
      max = Math.max(max, n.getAsJsonObject().get("id").getAsLong());
    }
    return max;
  }
}
