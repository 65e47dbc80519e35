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
import io.possync.wire.Notification;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The multi-session state tables (multi-sessions, terminals, orders) and the retained
 * notifications: cold loads, the group commit of decided outcomes, and retention. Commits and
 * purges come from the single writer thread; loads from any thread, one at a time.
 */
final class SqliteStateTables {
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
      try (PreparedStatement p = db.reader.prepareStatement("SELECT id, channel, created_at, body"
          + " FROM notifications WHERE created_at >= ? ORDER BY id DESC")) {
        p.setLong(1, sinceMillis);
        List<Notification> out = new ArrayList<>();
        long bytes = 0;
        try (ResultSet rs = p.executeQuery()) {
          while (rs.next()) {
            Notification n = new Notification(rs.getLong(1), rs.getString(2), rs.getLong(3),
                rs.getString(4));
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

  void commit(List<StateChanges> changes, List<Notification> notifications,
      long lastNotificationId, long now) {
    try (PreparedStatement ms = db.writer.prepareStatement("INSERT INTO multi_sessions VALUES"
            + " (?, ?, ?, ?, ?) ON CONFLICT (dbname, ms_id) DO UPDATE SET run_id = excluded.run_id,"
            + " order_id = excluded.order_id, run_started_at = excluded.run_started_at");
        PreparedStatement term = db.writer.prepareStatement("INSERT INTO terminals VALUES"
            + " (?, ?, ?, ?, ?) ON CONFLICT (dbname, pos_id) DO UPDATE SET ms_id = excluded.ms_id,"
            + " message_id = excluded.message_id, user_id = excluded.user_id");
        PreparedStatement order = db.writer.prepareStatement("INSERT INTO orders VALUES"
            + " (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dbname, ms_id, uid) DO UPDATE SET"
            + " message = excluded.message, nonce = excluded.nonce, state = excluded.state,"
            + " revision = excluded.revision, run_id = excluded.run_id");
        PreparedStatement purge = db.writer.prepareStatement(
            "DELETE FROM orders WHERE dbname = ? AND ms_id = ? AND uid = ?");
        PreparedStatement notif = db.writer.prepareStatement(
            "INSERT INTO notifications VALUES (?, ?, ?, ?)");
        PreparedStatement meta = db.writer.prepareStatement(
            "UPDATE meta SET value = max(value, ?) WHERE key = 'last_notification_id'");
        PreparedStatement outbox = SqliteOutbox.prepareQueue(db.writer)) {
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
      for (Notification n : notifications) {
        notif.setLong(1, n.id());
        notif.setString(2, n.channel());
        notif.setLong(3, n.createdAt());
        notif.setString(4, n.json());
        notif.addBatch();
      }
      // Purges first: an order purged in memory and then created again under the same uid must
      // survive. (The reverse within one batch leaves a row the next store purge removes.)
      purge.executeBatch();
      ms.executeBatch();
      term.executeBatch();
      order.executeBatch();
      outbox.executeBatch();
      notif.executeBatch();
      meta.setLong(1, lastNotificationId);
      meta.executeUpdate();
      db.end();
    } catch (SQLException e) {
      db.rollbackQuietly();
      throw new StoreException("commit failed: " + e.getMessage(), e);
    }
  }

  void purge(long notificationsBefore, long runStartedBefore) {
    try (PreparedStatement n = db.writer.prepareStatement(
            "DELETE FROM notifications WHERE created_at < ?");
        PreparedStatement o = db.writer.prepareStatement("DELETE FROM orders WHERE state != 'draft'"
            + " AND EXISTS (SELECT 1 FROM multi_sessions m WHERE m.dbname = orders.dbname"
            + " AND m.ms_id = orders.ms_id AND orders.run_id < m.run_id"
            + " AND m.run_started_at <= ?)")) {
      db.begin();
      n.setLong(1, notificationsBefore);
      n.executeUpdate();
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
