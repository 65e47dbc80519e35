package io.possync.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.wire.Channel;
import io.possync.wire.MessageBody;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broadcast's message is stored once however many terminals get it, its copies share it again in
 * memory after a start, and notifications written by a store of schema version 3 (one whole text a
 * row; the file in the test resources was written by PosSync 0.1.0) still read back.
 */
class BroadcastStorageTest {
  private static final long NOW = 1_800_000_000_000L;

  @TempDir
  Path dir;

  @Test
  void aBroadcastIsStoredOnceAndItsCopiesShareItAgainAfterAStart() throws Exception {
    String note = "x".repeat(2000);
    MessageBody shared = MessageBody.spliced(
        "{\"action\":\"update_order\",\"data\":{\"note\":\"" + note + "\",\"message_ID\":", "}}", 5);
    List<Notification> batch = new ArrayList<>();
    for (int pos = 1; pos <= 5; pos++) {
      batch.add(Notification.of(pos, new Outgoing(Channel.multiSession("shop", pos).text(),
          shared, 10 + pos), NOW));
    }
    batch.add(Notification.of(6, new Outgoing(Channel.longpolling("shop", 1), "\"PONG\""), NOW));
    List<String> texts = batch.stream().map(Notification::json).toList();
    assertThat(texts.get(2)).endsWith("\"message_ID\":13}}}").contains(note);

    try (SqliteStore store = SqliteStore.open(dir, SqliteStore.SyncPolicy.PROCESS, 0)) {
      store.commit(List.of(), batch, 6, NOW);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("possync.db"));
        Statement s = c.createStatement()) {
      assertThat(single(s, "SELECT count(*) FROM bodies")).isEqualTo(1);
      assertThat(single(s, "SELECT count(*) FROM notifications")).isEqualTo(6);
      assertThat(single(s, "SELECT sum(length(body)) FROM notifications"))
          .as("the copies hold no text, the PONG its own").isEqualTo("\"PONG\"".length());
      assertThat((int) single(s, "SELECT length(before) + length(after) FROM bodies"))
          .isLessThan(2100);
    }

    try (SqliteStore store = SqliteStore.open(dir, SqliteStore.SyncPolicy.PROCESS, 0)) {
      List<Notification> loaded = store.notificationsSince(0, Long.MAX_VALUE);
      assertThat(loaded).extracting(Notification::json).containsExactlyElementsOf(texts);
      for (int i = 1; i < 5; i++) {
        assertThat(loaded.get(i).body()).as("one body for the copies").isSameAs(loaded.get(0).body());
      }
      store.purge(NOW + 1, 0);
      assertThat(store.notificationsSince(0, Long.MAX_VALUE)).isEmpty();
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("possync.db"));
        Statement s = c.createStatement()) {
      assertThat(single(s, "SELECT count(*) FROM bodies")).as("purged with its copies").isEqualTo(0);
    }
  }

  @Test
  void notificationsOfASchemaVersion3StoreReadBackAndNewOnesAreAdded() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/store/schema-v3/possync.db")) {
      Files.copy(in, dir.resolve("possync.db"));
    }
    try (SqliteStore store = SqliteStore.open(dir, SqliteStore.SyncPolicy.PROCESS, 0)) {
      List<Notification> old = store.notificationsSince(0, Long.MAX_VALUE);
      assertThat(old).extracting(Notification::id).containsExactly(1L, 2L, 3L);
      assertThat(old.get(0).json()).isEqualTo("{\"id\":1,\"channel\":"
          + "\"[\\\"shop\\\",\\\"pos.multi_session\\\",\\\"1\\\"]\",\"message\":{\"action\":"
          + "\"update_order\",\"data\":{\"uid\":\"00001-001-0001\",\"revision_ID\":1,\"run_ID\":1,"
          + "\"pos_id\":1,\"nonce\":\"n1\",\"sequence_number\":1,\"name\":\"Order 00001-001-0001\","
          + "\"lines\":[],\"note\":\"café\",\"message_ID\":3},\"session_id\":1,\"login_number\":1}}");
      assertThat(old.get(2).messageJson()).isEqualTo("\"PONG\"");
      assertThat(store.lastNotificationId()).isEqualTo(3);

      MessageBody shared = MessageBody.spliced("{\"m\":", "}", 2);
      long at = old.get(2).createdAt() + 1;
      store.commit(List.of(), List.of(
          Notification.of(4, new Outgoing("[\"shop\",\"pos.multi_session\",\"1\"]", shared, 4), at),
          Notification.of(5, new Outgoing("[\"shop\",\"pos.multi_session\",\"2\"]", shared, 3), at)),
          5, at);
      assertThat(store.notificationsSince(0, Long.MAX_VALUE)).extracting(Notification::json)
          .endsWith("{\"id\":4,\"channel\":\"[\\\"shop\\\",\\\"pos.multi_session\\\",\\\"1\\\"]\","
              + "\"message\":{\"m\":4}}", "{\"id\":5,\"channel\":"
              + "\"[\\\"shop\\\",\\\"pos.multi_session\\\",\\\"2\\\"]\",\"message\":{\"m\":3}}");
      assertThat(store.loadMultiSession(new io.possync.sync.MultiSessionKey("shop", 1)))
          .as("the state of version 3 is still there").isPresent();
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("possync.db"));
        Statement s = c.createStatement()) {
      assertThat(single(s, "PRAGMA user_version")).isEqualTo(4);
    }
  }

  private static Object single(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      Object v = rs.getObject(1);
      return v instanceof Number n ? (Object) n.intValue() : v;
    }
  }
}
