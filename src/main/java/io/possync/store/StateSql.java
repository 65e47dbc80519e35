package io.possync.store;

import io.possync.outbox.OutboxEntry;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionRow;
import io.possync.sync.MultiSessionSnapshot;
import io.possync.sync.OrderKey;
import io.possync.sync.OrderRow;
import io.possync.sync.OrderState;
import io.possync.sync.StateChanges;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalRow;
import io.possync.wire.MessageBody;
import io.possync.wire.Notification;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL of the multi-session state and the retained notifications that SQLite and PostgreSQL
 * share: the same statements mean the same on both, so each store only adds its transactions,
 * its locking and its dialect's few words (how rows keep their insertion order).
 */
final class StateSql {
  private static final Logger LOG = LoggerFactory.getLogger(StateSql.class);

  private StateSql() {}

  /**
   * The notifications kept since {@code sinceMillis}, oldest first, but only the newest that fit
   * in {@code maxBytes} of heap ({@link Notification#footprint}): the table keeps everything the
   * retention time covers, and a busy node can have written far more than the bus keeps in
   * memory; loading all of it at start ran out of heap.
   */
  static List<Notification> notificationsSince(Connection c, long sinceMillis, long maxBytes)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(SELECT_NOTIFICATIONS
        + " WHERE n.created_at >= ? ORDER BY n.id DESC")) {
      p.setLong(1, sinceMillis);
      List<Notification> out = new ArrayList<>();
      Map<Long, MessageBody> bodies = new HashMap<>();
      long bytes = 0;
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          Notification n = notification(rs, bodies);
          if (n == null) {
            continue;
          }
          bytes += n.footprint();
          if (bytes > maxBytes && !out.isEmpty()) {
            break;
          }
          out.add(n);
        }
      }
      Collections.reverse(out);
      return out;
    }
  }

  /** The notifications with ids above {@code after}, in id order, at most {@code limit}. */
  static List<Notification> notificationsAfter(Connection c, long after, int limit)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(SELECT_NOTIFICATIONS
        + " WHERE n.id > ? ORDER BY n.id LIMIT ?")) {
      p.setLong(1, after);
      p.setInt(2, limit);
      List<Notification> out = new ArrayList<>();
      Map<Long, MessageBody> bodies = new HashMap<>();
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          Notification n = notification(rs, bodies);
          if (n != null) {
            out.add(n);
          }
        }
      }
      return out;
    }
  }

  private static final String SELECT_NOTIFICATIONS = "SELECT n.id, n.channel, n.created_at,"
      + " n.body, n.body_id, n.message_id, b.before, b.after"
      + " FROM notifications n LEFT JOIN bodies b ON b.id = n.body_id";

  /**
   * One notification row: a copy of a shared body (one {@link MessageBody} object per body row,
   * so the copies share it in memory again), a message of its own, or a row written before bodies
   * existed, which holds the whole notification text.
   */
  private static Notification notification(ResultSet rs, Map<Long, MessageBody> bodies)
      throws SQLException {
    long id = rs.getLong(1);
    String channel = rs.getString(2);
    long createdAt = rs.getLong(3);
    long messageId = rs.getLong(6);
    if (rs.wasNull()) {
      Optional<Notification> old = Notification.fromText(id, channel, createdAt, rs.getString(4));
      if (old.isEmpty()) {
        LOG.warn("event=notification_unreadable id={}", id);
      }
      return old.orElse(null);
    }
    long bodyId = rs.getLong(5);
    if (rs.wasNull()) {
      return new Notification(id, channel, createdAt, MessageBody.whole(rs.getString(4)),
          messageId);
    }
    String before = rs.getString(7);
    String after = rs.getString(8);
    if (before == null) {
      LOG.warn("event=notification_body_missing id={} body_id={}", id, bodyId);
      return null;
    }
    // The copies of one body are not counted here: each weighs as if it were the only one, which
    // keeps the memory bound on the safe side.
    MessageBody body = bodies.computeIfAbsent(bodyId,
        k -> MessageBody.spliced(before, after, 1));
    return new Notification(id, channel, createdAt, body, messageId);
  }

  /**
   * The multi-session with its terminals and orders.
   *
   * @param insertionOrder the column that keeps rows in the order they were first written
   *                       ({@code rowid} in SQLite, {@code seq} in PostgreSQL)
   */
  static Optional<MultiSessionSnapshot> loadMultiSession(Connection c, MultiSessionKey key,
      String insertionOrder) throws SQLException {
    MultiSessionRow ms;
    try (PreparedStatement p = c.prepareStatement("SELECT run_id, order_id,"
        + " run_started_at FROM multi_sessions WHERE dbname = ? AND ms_id = ?")) {
      p.setString(1, key.dbname());
      p.setLong(2, key.multiSessionId());
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        ms = new MultiSessionRow(key, rs.getLong(1), rs.getLong(2), rs.getLong(3));
      }
    }
    List<TerminalRow> terminals = new ArrayList<>();
    forEachRow(c, "SELECT pos_id, message_id, user_id FROM terminals"
        + " WHERE dbname = ? AND ms_id = ? ORDER BY " + insertionOrder, key,
        rs -> terminals.add(new TerminalRow(new TerminalKey(key.dbname(), rs.getLong(1)),
            key.multiSessionId(), rs.getLong(2), rs.getLong(3))));
    List<OrderRow> orders = new ArrayList<>();
    forEachRow(c, "SELECT uid, message, nonce, state, revision, run_id FROM orders"
        + " WHERE dbname = ? AND ms_id = ? ORDER BY " + insertionOrder, key,
        rs -> orders.add(new OrderRow(new OrderKey(key, rs.getString(1)), rs.getString(2),
            rs.getString(3), OrderState.valueOf(rs.getString(4).toUpperCase(Locale.ROOT)),
            rs.getLong(5), rs.getLong(6))));
    return Optional.of(new MultiSessionSnapshot(ms, terminals, orders));
  }

  /** Reads one row of a result set. */
  @FunctionalInterface
  interface RowReader {
    void read(ResultSet rs) throws SQLException;
  }

  /**
   * Runs a query on the rows of one multi-session ({@code sql} takes its dbname and ms_id, in
   * that order) and hands each row to {@code row}.
   */
  static void forEachRow(Connection c, String sql, MultiSessionKey key, RowReader row)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      p.setString(1, key.dbname());
      p.setLong(2, key.multiSessionId());
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          row.read(rs);
        }
      }
    }
  }

  static Optional<TerminalRow> loadTerminal(Connection c, TerminalKey key) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT ms_id, message_id, user_id"
        + " FROM terminals WHERE dbname = ? AND pos_id = ?")) {
      p.setString(1, key.dbname());
      p.setLong(2, key.posId());
      try (ResultSet rs = p.executeQuery()) {
        return rs.next()
            ? Optional.of(new TerminalRow(key, rs.getLong(1), rs.getLong(2), rs.getLong(3)))
            : Optional.empty();
      }
    }
  }

  /**
   * Deletes notifications created before {@code notificationsBefore} and deleted or unpaid orders
   * of multi-sessions whose current run started before {@code runStartedBefore} (decision D4), in
   * the caller's transaction.
   */
  static void purge(Connection c, long notificationsBefore, long runStartedBefore)
      throws SQLException {
    try (PreparedStatement n = c.prepareStatement(
            "DELETE FROM notifications WHERE created_at < ?");
        PreparedStatement b = c.prepareStatement(
            "DELETE FROM bodies WHERE created_at < ?");
        PreparedStatement o = c.prepareStatement("DELETE FROM orders WHERE state != 'draft'"
            + " AND EXISTS (SELECT 1 FROM multi_sessions m WHERE m.dbname = orders.dbname"
            + " AND m.ms_id = orders.ms_id AND orders.run_id < m.run_id"
            + " AND m.run_started_at <= ?)")) {
      n.setLong(1, notificationsBefore);
      n.executeUpdate();
      b.setLong(1, notificationsBefore); // a body is as old as its copies
      b.executeUpdate();
      o.setLong(1, runStartedBefore);
      o.executeUpdate();
    }
  }

  /**
   * The statements of a group commit, prepared once on the writing connection (which only the
   * writer thread uses) instead of once per transaction: {@link #add} batches the rows,
   * {@link #execute} writes them in the transaction the caller opened.
   */
  static final class Batch {
    private final PreparedStatement ms;
    private final PreparedStatement term;
    private final PreparedStatement order;
    private final PreparedStatement purge;
    private final PreparedStatement notif;
    private final PreparedStatement body;
    private final PreparedStatement outbox;

    Batch(Connection writer) throws SQLException {
      this.ms = writer.prepareStatement("INSERT INTO multi_sessions (dbname, ms_id, run_id,"
          + " order_id, run_started_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (dbname, ms_id)"
          + " DO UPDATE SET run_id = excluded.run_id, order_id = excluded.order_id,"
          + " run_started_at = excluded.run_started_at");
      this.term = writer.prepareStatement("INSERT INTO terminals (dbname, pos_id, ms_id,"
          + " message_id, user_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT (dbname, pos_id)"
          + " DO UPDATE SET ms_id = excluded.ms_id, message_id = excluded.message_id,"
          + " user_id = excluded.user_id");
      this.order = writer.prepareStatement("INSERT INTO orders (dbname, ms_id, uid, message,"
          + " nonce, state, revision, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT (dbname, ms_id, uid) DO UPDATE SET message = excluded.message,"
          + " nonce = excluded.nonce, state = excluded.state, revision = excluded.revision,"
          + " run_id = excluded.run_id");
      this.purge = writer.prepareStatement(
          "DELETE FROM orders WHERE dbname = ? AND ms_id = ? AND uid = ?");
      this.notif = writer.prepareStatement("INSERT INTO notifications"
          + " (id, channel, created_at, body, body_id, message_id) VALUES (?, ?, ?, ?, ?, ?)");
      this.body = writer.prepareStatement(
          "INSERT INTO bodies (id, before, after, created_at) VALUES (?, ?, ?, ?)");
      this.outbox = OutboxTables.prepareQueue(writer);
    }

    /** Batches the rows of {@code changes}. */
    void addChanges(List<StateChanges> changes, long now) throws SQLException {
      for (StateChanges c : changes) {
        if (c.multiSession() != null) {
          MultiSessionRow r = c.multiSession();
          ms.setString(1, r.key().dbname());
          ms.setLong(2, r.key().multiSessionId());
          ms.setLong(3, r.runId());
          ms.setLong(4, r.orderId());
          ms.setLong(5, r.runStartedAt());
          ms.addBatch();
        }
        for (TerminalRow r : c.terminals()) {
          term.setString(1, r.key().dbname());
          term.setLong(2, r.key().posId());
          term.setLong(3, r.multiSessionId());
          term.setLong(4, r.messageId());
          term.setLong(5, r.userId());
          term.addBatch();
        }
        for (OrderRow r : c.orders()) {
          order.setString(1, r.key().multiSession().dbname());
          order.setLong(2, r.key().multiSession().multiSessionId());
          order.setString(3, r.key().uid());
          order.setString(4, r.message());
          order.setString(5, r.nonceJson());
          order.setString(6, r.state().wire());
          order.setLong(7, r.revision());
          order.setLong(8, r.runId());
          order.addBatch();
        }
        for (OutboxEntry e : c.outbox()) {
          OutboxTables.queue(outbox, e, now);
        }
        for (OrderKey k : c.purged()) {
          purge.setString(1, k.multiSession().dbname());
          purge.setLong(2, k.multiSession().multiSessionId());
          purge.setString(3, k.uid());
          purge.addBatch();
        }
      }
    }

    /**
     * Batches the notification rows. A broadcast's body is written once, under the id of its
     * first copy; each copy is a row of ids. A message of its own is written in its row.
     */
    void addNotifications(List<Notification> notifications) throws SQLException {
      Map<MessageBody, Long> written = new IdentityHashMap<>();
      for (Notification n : notifications) {
        notif.setLong(1, n.id());
        notif.setString(2, n.channel());
        notif.setLong(3, n.createdAt());
        notif.setLong(6, n.messageId());
        MessageBody b = n.body();
        if (b.spliced()) {
          Long bodyId = written.get(b);
          if (bodyId == null) {
            bodyId = n.id();
            written.put(b, bodyId);
            body.setLong(1, bodyId);
            body.setString(2, b.before());
            body.setString(3, b.after());
            body.setLong(4, n.createdAt());
            body.addBatch();
          }
          notif.setString(4, "");
          notif.setLong(5, bodyId);
        } else {
          notif.setString(4, b.before());
          notif.setNull(5, java.sql.Types.BIGINT);
        }
        notif.addBatch();
      }
    }

    /** Writes the state rows batched so far. */
    void executeChanges() throws SQLException {
      // Purges first: an order purged in memory and then created again under the same uid must
      // survive. (The reverse within one batch leaves a row the next store purge removes.)
      purge.executeBatch();
      ms.executeBatch();
      term.executeBatch();
      order.executeBatch();
      outbox.executeBatch();
    }

    /** Writes the notification rows batched so far. */
    void executeNotifications() throws SQLException {
      body.executeBatch();
      notif.executeBatch();
    }

    /** Drops what a failed transaction left batched, so the next one does not write it. */
    void clearQuietly() {
      for (PreparedStatement p : List.of(ms, term, order, purge, notif, body, outbox)) {
        try {
          p.clearBatch();
        } catch (SQLException ignored) {
          // the connection is gone: the next commit fails on its own
        }
      }
    }

    /** Closes the statements (a pooled connection outlives them). */
    void closeQuietly() {
      for (PreparedStatement p : List.of(ms, term, order, purge, notif, body, outbox)) {
        try {
          p.close();
        } catch (SQLException ignored) {
          // closing after a failure
        }
      }
    }
  }
}
