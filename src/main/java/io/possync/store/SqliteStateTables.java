package io.possync.store;

import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionSnapshot;
import io.possync.sync.StateChanges;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalRow;
import io.possync.wire.Notification;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
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

  /** See {@link StateSql#notificationsSince}. */
  List<Notification> notificationsSince(long sinceMillis, long maxBytes) {
    synchronized (db.readLock) {
      try {
        return StateSql.notificationsSince(db.reader, sinceMillis, maxBytes);
      } catch (SQLException e) {
        throw new StoreException("cannot read notifications: " + e.getMessage(), e);
      }
    }
  }

  Optional<MultiSessionSnapshot> loadMultiSession(MultiSessionKey key) {
    synchronized (db.readLock) {
      try {
        return StateSql.loadMultiSession(db.reader, key, "rowid");
      } catch (SQLException e) {
        throw new StoreException("cannot load multi-session " + key + ": " + e.getMessage(), e);
      }
    }
  }

  Optional<TerminalRow> loadTerminal(TerminalKey key) {
    synchronized (db.readLock) {
      try {
        return StateSql.loadTerminal(db.reader, key);
      } catch (SQLException e) {
        throw new StoreException("cannot load terminal " + key + ": " + e.getMessage(), e);
      }
    }
  }

  /** Prepared on the first commit; closed with the writer connection. */
  private StateSql.Batch statements;
  private PreparedStatement meta;

  void commit(List<StateChanges> changes, List<Notification> notifications,
      long lastNotificationId, long now) {
    StateSql.Batch st = null;
    try {
      if (statements == null) {
        statements = new StateSql.Batch(db.writer);
        meta = db.writer.prepareStatement(
            "UPDATE meta SET value = max(value, ?) WHERE key = 'last_notification_id'");
      }
      st = statements;
      db.begin();
      st.addChanges(changes, now);
      st.addNotifications(notifications);
      st.executeChanges();
      st.executeNotifications();
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
    try {
      db.begin();
      StateSql.purge(db.writer, notificationsBefore, runStartedBefore);
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
