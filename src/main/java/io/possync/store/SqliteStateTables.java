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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multi-session state tables (multi-sessions, terminals, orders) and the retained
 * notifications: cold loads, the group commit of decided outcomes, and retention. Commits and
 * purges come from the single writer thread; loads from any thread, one at a time.
 */
final class SqliteStateTables {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteStateTables.class);
  private final SqliteDatabase db;

  SqliteStateTables(SqliteDatabase db) {
    this.db = db;
  }

  long lastNotificationId() {
    synchronized (db.readLock) {
      try (Statement s = db.reader.createStatement()) {
        return Long.parseLong(SqliteDatabase.single(s,
            "SELECT value FROM meta WHERE key = 'last_notification_id'"));
      } catch (SQLException e) {
        throw new StoreException("cannot read the notification counter: " + e.getMessage(), e);
      }
    }
  }

  /**
   * The notifications kept since {@code sinceMillis}, oldest first, but only the newest that fit
   * in {@code maxBytes} of heap ({@link Notification#footprint}): the table keeps everything the
   * retention time covers, and a busy node can have written far more than the bus keeps in
   * memory; loading all of it at start ran out of heap.
   */
  List<Notification> notificationsSince(long sinceMillis, long maxBytes) {
    synchronized (db.readLock) {
      try (PreparedStatement p = db.reader.prepareStatement("SELECT n.id, n.channel,"
          + " n.created_at, n.body, n.body_id, n.message_id, b.before, b.after"
          + " FROM notifications n LEFT JOIN bodies b ON b.id = n.body_id"
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
      } catch (SQLException e) {
        throw new StoreException("cannot read notifications: " + e.getMessage(), e);
      }
    }
  }

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


  Optional<MultiSessionSnapshot> loadMultiSession(MultiSessionKey key) {
    synchronized (db.readLock) {
      try {
        MultiSessionRow ms;
        try (PreparedStatement p = db.reader.prepareStatement("SELECT run_id, order_id,"
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
        try (PreparedStatement p = db.reader.prepareStatement("SELECT pos_id, message_id, user_id"
            + " FROM terminals WHERE dbname = ? AND ms_id = ? ORDER BY rowid")) {
          p.setString(1, key.dbname());
          p.setLong(2, key.multiSessionId());
          try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              terminals.add(new TerminalRow(new TerminalKey(key.dbname(), rs.getLong(1)),
                  key.multiSessionId(), rs.getLong(2), rs.getLong(3)));
            }
          }
        }
        List<OrderRow> orders = new ArrayList<>();
        try (PreparedStatement p = db.reader.prepareStatement("SELECT uid, message, nonce, state,"
            + " revision, run_id FROM orders WHERE dbname = ? AND ms_id = ? ORDER BY rowid")) {
          p.setString(1, key.dbname());
          p.setLong(2, key.multiSessionId());
          try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              orders.add(new OrderRow(new OrderKey(key, rs.getString(1)), rs.getString(2),
                  rs.getString(3), OrderState.valueOf(rs.getString(4).toUpperCase(Locale.ROOT)),
                  rs.getLong(5), rs.getLong(6)));
            }
          }
        }
        return Optional.of(new MultiSessionSnapshot(ms, terminals, orders));
      } catch (SQLException e) {
        throw new StoreException("cannot load multi-session " + key + ": " + e.getMessage(), e);
      }
    }
  }

  Optional<TerminalRow> loadTerminal(TerminalKey key) {
    synchronized (db.readLock) {
      try (PreparedStatement p = db.reader.prepareStatement("SELECT ms_id, message_id, user_id"
          + " FROM terminals WHERE dbname = ? AND pos_id = ?")) {
        p.setString(1, key.dbname());
        p.setLong(2, key.posId());
        try (ResultSet rs = p.executeQuery()) {
          return rs.next()
              ? Optional.of(new TerminalRow(key, rs.getLong(1), rs.getLong(2), rs.getLong(3)))
              : Optional.empty();
        }
      } catch (SQLException e) {
        throw new StoreException("cannot load terminal " + key + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * The statements of a group commit, prepared once on the writer connection (which only the
   * writer thread uses) instead of once per transaction.
   */
  private static final class CommitStatements {
    final PreparedStatement ms;
    final PreparedStatement term;
    final PreparedStatement order;
    final PreparedStatement purge;
    final PreparedStatement notif;
    final PreparedStatement body;
    final PreparedStatement meta;
    final PreparedStatement outbox;

    CommitStatements(java.sql.Connection writer) throws SQLException {
      this.ms = writer.prepareStatement("INSERT INTO multi_sessions VALUES"
          + " (?, ?, ?, ?, ?) ON CONFLICT (dbname, ms_id) DO UPDATE SET run_id = excluded.run_id,"
          + " order_id = excluded.order_id, run_started_at = excluded.run_started_at");
      this.term = writer.prepareStatement("INSERT INTO terminals VALUES"
          + " (?, ?, ?, ?, ?) ON CONFLICT (dbname, pos_id) DO UPDATE SET ms_id = excluded.ms_id,"
          + " message_id = excluded.message_id, user_id = excluded.user_id");
      this.order = writer.prepareStatement("INSERT INTO orders VALUES"
          + " (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dbname, ms_id, uid) DO UPDATE SET"
          + " message = excluded.message, nonce = excluded.nonce, state = excluded.state,"
          + " revision = excluded.revision, run_id = excluded.run_id");
      this.purge = writer.prepareStatement(
          "DELETE FROM orders WHERE dbname = ? AND ms_id = ? AND uid = ?");
      this.notif = writer.prepareStatement("INSERT INTO notifications"
          + " (id, channel, created_at, body, body_id, message_id) VALUES (?, ?, ?, ?, ?, ?)");
      this.body = writer.prepareStatement(
          "INSERT INTO bodies VALUES (?, ?, ?, ?)");
      this.meta = writer.prepareStatement(
          "UPDATE meta SET value = max(value, ?) WHERE key = 'last_notification_id'");
      this.outbox = SqliteOutbox.prepareQueue(writer);
    }

    /** Drops what a failed transaction left batched, so the next one does not write it. */
    void clearQuietly() {
      for (PreparedStatement p : List.of(ms, term, order, purge, notif, body, meta, outbox)) {
        try {
          p.clearBatch();
        } catch (SQLException ignored) {
          // the connection is gone: the next commit fails on its own
        }
      }
    }
  }

  /** Prepared on the first commit; closed with the writer connection. */
  private CommitStatements statements;

  void commit(List<StateChanges> changes, List<Notification> notifications,
      long lastNotificationId, long now) {
    CommitStatements st = null;
    try {
      if (statements == null) {
        statements = new CommitStatements(db.writer);
      }
      st = statements;
      PreparedStatement ms = st.ms;
      PreparedStatement term = st.term;
      PreparedStatement order = st.order;
      PreparedStatement purge = st.purge;
      PreparedStatement notif = st.notif;
      PreparedStatement body = st.body;
      PreparedStatement meta = st.meta;
      PreparedStatement outbox = st.outbox;
      db.begin();
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
          SqliteOutbox.queue(outbox, e, now);
        }
        for (OrderKey k : c.purged()) {
          purge.setString(1, k.multiSession().dbname());
          purge.setLong(2, k.multiSession().multiSessionId());
          purge.setString(3, k.uid());
          purge.addBatch();
        }
      }
      // A broadcast's body is written once, under the id of its first copy; each copy is a row
      // of ids. A message of its own is written in its row.
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
          notif.setNull(5, java.sql.Types.INTEGER);
        }
        notif.addBatch();
      }
      // Purges first: an order purged in memory and then created again under the same uid must
      // survive. (The reverse within one batch leaves a row the next store purge removes.)
      purge.executeBatch();
      ms.executeBatch();
      term.executeBatch();
      order.executeBatch();
      outbox.executeBatch();
      body.executeBatch();
      notif.executeBatch();
      meta.setLong(1, lastNotificationId);
      meta.executeUpdate();
      db.end();
    } catch (SQLException e) {
      if (st != null) {
        st.clearQuietly();
      }
      db.rollbackQuietly();
      throw new StoreException("commit failed: " + e.getMessage(), e);
    }
  }

  void purge(long notificationsBefore, long runStartedBefore) {
    try (PreparedStatement n = db.writer.prepareStatement(
            "DELETE FROM notifications WHERE created_at < ?");
        PreparedStatement b = db.writer.prepareStatement(
            "DELETE FROM bodies WHERE created_at < ?");
        PreparedStatement o = db.writer.prepareStatement("DELETE FROM orders WHERE state != 'draft'"
            + " AND EXISTS (SELECT 1 FROM multi_sessions m WHERE m.dbname = orders.dbname"
            + " AND m.ms_id = orders.ms_id AND orders.run_id < m.run_id"
            + " AND m.run_started_at <= ?)")) {
      db.begin();
      n.setLong(1, notificationsBefore);
      n.executeUpdate();
      b.setLong(1, notificationsBefore); // a body is as old as its copies
      b.executeUpdate();
      o.setLong(1, runStartedBefore);
      o.executeUpdate();
      db.end();
    } catch (SQLException e) {
      db.rollbackQuietly();
      throw new StoreException("purge failed: " + e.getMessage(), e);
    }
  }

  /** Orders looked at for names: the newest, enough to have seen every terminal at work. */
  static final int NAMED_ORDERS = 5000;

  List<TerminalName> terminalNames() {
    String named = "json_extract(message, '$.data.ms_info.%1$s.pos.id') AS pos_id,"
        + " json_extract(message, '$.data.ms_info.%1$s.pos.name') AS pos_name,"
        + " json_extract(message, '$.data.ms_info.%1$s.user.name') AS cashier";
    synchronized (db.readLock) {
      try (Statement s = db.reader.createStatement();
          ResultSet rs = s.executeQuery("WITH recent AS (SELECT rowid AS r, dbname, message"
              + " FROM orders ORDER BY rowid DESC LIMIT " + NAMED_ORDERS + "),"
              + " valid AS (SELECT * FROM recent WHERE json_valid(message))"
              + " SELECT dbname, pos_id, pos_name, cashier FROM ("
              + " SELECT dbname, r, 0 AS p, " + String.format(named, "created") + " FROM valid"
              + " UNION ALL"
              + " SELECT dbname, r, 1 AS p, " + String.format(named, "changed") + " FROM valid)"
              + " WHERE typeof(pos_id) = 'integer' ORDER BY r, p")) {
        Map<String, TerminalName> newest = new LinkedHashMap<>();
        while (rs.next()) {
          TerminalName n = new TerminalName(rs.getString(1), rs.getLong(2), rs.getString(3),
              rs.getString(4));
          newest.put(n.dbname() + "\n" + n.posId(), n);
        }
        return List.copyOf(newest.values());
      } catch (SQLException e) {
        throw new StoreException("cannot read order names: " + e.getMessage(), e);
      }
    }
  }
}
