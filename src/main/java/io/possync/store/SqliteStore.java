package io.possync.store;

import io.possync.outbox.OutboxWaiting;
import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxRow;
import io.possync.wire.Notification;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionRow;
import io.possync.sync.MultiSessionSnapshot;
import io.possync.sync.OrderKey;
import io.possync.sync.OrderRow;
import io.possync.sync.OrderState;
import io.possync.outbox.OutboxEntry;
import io.possync.sync.StateChanges;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalRow;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;

/**
 * The embedded store: one SQLite file in WAL mode in the data directory. One connection writes
 * (the group-commit thread), another serves the rare loads of cold multi-sessions.
 */
public final class SqliteStore implements Store {
  /** Version of the schema this code writes; older files are migrated at start. */
  static final int SCHEMA_VERSION = 3;
  static final String DB_FILE = "possync.db";
  /** Held (locked) by the one PosSync process that uses the data directory. */
  public static final String LOCK_FILE = "possync.lock";

  /** How hard a commit is made durable. */
  public enum SyncPolicy {
    /** Survives the process being killed (kill -9); the OS may lose the last commits on power loss. */
    PROCESS,
    /** fsync on every commit: survives power loss. */
    POWER
  }

  private final Path dataDir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Connection writer;
  private final Connection reader;
  private final Object readLock = new Object();

  private SqliteStore(Path dataDir, FileChannel lockChannel, FileLock lock, Connection writer,
      Connection reader) {
    this.dataDir = dataDir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.writer = writer;
    this.reader = reader;
  }

  /**
   * Opens (creating or migrating) the store in {@code dataDir}.
   *
   * @throws StoreException with a message for the operator if the directory is unusable, locked
   *                        by another PosSync, or holds a corrupt or newer database
   */
  public static SqliteStore open(Path dataDir, SyncPolicy policy, long maxBytes) {
    Path dir = dataDir.toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StoreException("cannot create data directory " + dir + ": " + e, e);
    }
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new StoreException("data directory " + dir + " is not a writable directory");
    }
    FileChannel channel;
    FileLock fileLock;
    try {
      channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      fileLock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      throw new StoreException("data directory " + dir + " is in use by another PosSync", e);
    } catch (IOException e) {
      throw new StoreException("cannot lock data directory " + dir + ": " + e, e);
    }
    if (fileLock == null) {
      closeQuietly(channel);
      throw new StoreException("data directory " + dir + " is in use by another PosSync process");
    }
    Path file = dir.resolve(DB_FILE);
    Connection w = null;
    Connection r = null;
    try {
      w = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = w.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
        String mode = single(s, "PRAGMA journal_mode = WAL");
        if (!"wal".equalsIgnoreCase(mode)) {
          throw new StoreException("cannot switch " + file + " to WAL mode (got " + mode + ")");
        }
        s.execute("PRAGMA synchronous = " + (policy == SyncPolicy.POWER ? "FULL" : "NORMAL"));
        if (maxBytes > 0) {
          long pageSize = Long.parseLong(single(s, "PRAGMA page_size"));
          s.execute("PRAGMA max_page_count = " + Math.max(1, maxBytes / pageSize));
        }
        checkIntact(s, file);
        migrate(w, s, file);
      }
      r = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = r.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
      }
      return new SqliteStore(dir, channel, fileLock, w, r);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(w);
      closeQuietly(r);
      closeQuietly(channel);
      throw cannotOpen(file, e);
    }
  }

  /**
   * What {@link #open} would say of the database in {@code dataDir}, without writing anything
   * (no lock, no WAL switch, no migration): damaged, newer than this PosSync, or no database.
   * Nothing to say when there is no database yet. For {@code possync check}; call it only while
   * no PosSync runs on the directory (it reads the file as it is, ignoring an uncheckpointed WAL).
   *
   * @throws StoreException with the words {@link #open} would use
   */
  public static void inspect(Path dataDir) {
    Path file = dataDir.toAbsolutePath().resolve(DB_FILE);
    if (!Files.exists(file)) {
      return;
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + file + "?immutable=1");
        Statement s = c.createStatement()) {
      checkIntact(s, file);
      checkNotNewer(Integer.parseInt(single(s, "PRAGMA user_version")), file);
    } catch (SQLException | RuntimeException e) {
      throw cannotOpen(file, e);
    }
  }

  private static StoreException cannotOpen(Path file, Exception e) {
    if (e instanceof StoreException se) {
      return se;
    }
    return new StoreException("cannot open " + file + ": " + e.getMessage()
        + " (is it a PosSync database? restore it from a backup or move it away)", e);
  }

  private static void checkIntact(Statement s, Path file) throws SQLException {
    String check = single(s, "PRAGMA quick_check");
    if (!"ok".equalsIgnoreCase(check)) {
      throw new StoreException(file + " is damaged (" + check + "); restore it from a backup"
          + " or move it away to start empty");
    }
  }

  private static void checkNotNewer(int version, Path file) {
    if (version > SCHEMA_VERSION) {
      throw new StoreException(file + " has schema version " + version + ", newer than this"
          + " PosSync understands (" + SCHEMA_VERSION + "); run a newer PosSync");
    }
  }

  private static void migrate(Connection c, Statement s, Path file) throws SQLException {
    int version = Integer.parseInt(single(s, "PRAGMA user_version"));
    checkNotNewer(version, file);
    if (version < 1) {
      s.execute("BEGIN IMMEDIATE");
      s.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
      s.execute("INSERT INTO meta VALUES ('last_notification_id', 0)");
      s.execute("CREATE TABLE multi_sessions (dbname TEXT NOT NULL, ms_id INTEGER NOT NULL,"
          + " run_id INTEGER NOT NULL, order_id INTEGER NOT NULL, run_started_at INTEGER NOT NULL,"
          + " PRIMARY KEY (dbname, ms_id))");
      s.execute("CREATE TABLE terminals (dbname TEXT NOT NULL, pos_id INTEGER NOT NULL,"
          + " ms_id INTEGER NOT NULL, message_id INTEGER NOT NULL, user_id INTEGER NOT NULL,"
          + " PRIMARY KEY (dbname, pos_id))");
      s.execute("CREATE INDEX terminals_by_ms ON terminals (dbname, ms_id)");
      s.execute("CREATE TABLE orders (dbname TEXT NOT NULL, ms_id INTEGER NOT NULL,"
          + " uid TEXT NOT NULL, message TEXT NOT NULL, nonce TEXT, state TEXT NOT NULL,"
          + " revision INTEGER NOT NULL, run_id INTEGER NOT NULL,"
          + " PRIMARY KEY (dbname, ms_id, uid))");
      s.execute("CREATE TABLE notifications (id INTEGER PRIMARY KEY, channel TEXT NOT NULL,"
          + " created_at INTEGER NOT NULL, body TEXT NOT NULL)");
      s.execute("CREATE INDEX notifications_by_time ON notifications (created_at)");
      s.execute("PRAGMA user_version = 1");
      s.execute("COMMIT");
    }
    if (version < 2) {
      // Version 2: the Odoo write-back outbox (issue "write finalized orders back to Odoo").
      s.execute("BEGIN IMMEDIATE");
      s.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT,"
          + " dbname TEXT NOT NULL, uid TEXT NOT NULL, kind TEXT NOT NULL, pos_reference TEXT,"
          + " payload TEXT, state TEXT NOT NULL, attempts INTEGER NOT NULL,"
          + " next_attempt_at INTEGER NOT NULL, last_error TEXT, odoo_order_id INTEGER,"
          + " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
          + " UNIQUE (dbname, uid, kind))");
      s.execute("CREATE INDEX outbox_queue ON outbox (dbname, kind, state, id)");
      s.execute("CREATE TABLE outbox_pauses (dbname TEXT PRIMARY KEY, reason TEXT NOT NULL,"
          + " credentials TEXT NOT NULL, since INTEGER NOT NULL)");
      s.execute("PRAGMA user_version = 2");
      s.execute("COMMIT");
    }
    if (version < 3) {
      // Version 3: capability tokens for auth.mode=token, stored hashed.
      s.execute("BEGIN IMMEDIATE");
      s.execute("CREATE TABLE tokens (hash TEXT PRIMARY KEY, dbname TEXT NOT NULL,"
          + " ms_id INTEGER NOT NULL, label TEXT, created_at INTEGER NOT NULL,"
          + " revoked_at INTEGER)");
      s.execute("PRAGMA user_version = 3");
      s.execute("COMMIT");
    }
  }

  @Override
  public long lastNotificationId() {
    synchronized (readLock) {
      try (Statement s = reader.createStatement()) {
        return Long.parseLong(single(s,
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
  @Override
  public List<Notification> notificationsSince(long sinceMillis, long maxBytes) {
    synchronized (readLock) {
      try (PreparedStatement p = reader.prepareStatement("SELECT id, channel, created_at, body"
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

  @Override
  public Optional<MultiSessionSnapshot> loadMultiSession(MultiSessionKey key) {
    synchronized (readLock) {
      try {
        MultiSessionRow ms;
        try (PreparedStatement p = reader.prepareStatement("SELECT run_id, order_id,"
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
        try (PreparedStatement p = reader.prepareStatement("SELECT pos_id, message_id, user_id"
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
        try (PreparedStatement p = reader.prepareStatement("SELECT uid, message, nonce, state,"
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

  @Override
  public Optional<TerminalRow> loadTerminal(TerminalKey key) {
    synchronized (readLock) {
      try (PreparedStatement p = reader.prepareStatement("SELECT ms_id, message_id, user_id"
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

  @Override
  public void commit(List<StateChanges> changes, List<Notification> notifications,
      long lastNotificationId, long now) {
    try (PreparedStatement ms = writer.prepareStatement("INSERT INTO multi_sessions VALUES"
            + " (?, ?, ?, ?, ?) ON CONFLICT (dbname, ms_id) DO UPDATE SET run_id = excluded.run_id,"
            + " order_id = excluded.order_id, run_started_at = excluded.run_started_at");
        PreparedStatement term = writer.prepareStatement("INSERT INTO terminals VALUES"
            + " (?, ?, ?, ?, ?) ON CONFLICT (dbname, pos_id) DO UPDATE SET ms_id = excluded.ms_id,"
            + " message_id = excluded.message_id, user_id = excluded.user_id");
        PreparedStatement order = writer.prepareStatement("INSERT INTO orders VALUES"
            + " (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dbname, ms_id, uid) DO UPDATE SET"
            + " message = excluded.message, nonce = excluded.nonce, state = excluded.state,"
            + " revision = excluded.revision, run_id = excluded.run_id");
        PreparedStatement purge = writer.prepareStatement(
            "DELETE FROM orders WHERE dbname = ? AND ms_id = ? AND uid = ?");
        PreparedStatement notif = writer.prepareStatement(
            "INSERT INTO notifications VALUES (?, ?, ?, ?)");
        PreparedStatement meta = writer.prepareStatement(
            "UPDATE meta SET value = max(value, ?) WHERE key = 'last_notification_id'");
        PreparedStatement outbox = writer.prepareStatement("INSERT OR IGNORE INTO outbox (dbname,"
            + " uid, kind, pos_reference, payload, state, attempts, next_attempt_at, created_at,"
            + " updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)")) {
      begin();
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
          outbox.setString(1, e.dbname());
          outbox.setString(2, e.uid());
          outbox.setString(3, e.kind().name());
          outbox.setString(4, e.posReference());
          outbox.setString(5, e.payload());
          outbox.setLong(6, now);
          outbox.setLong(7, now);
          outbox.setLong(8, now);
          outbox.addBatch();
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
      end();
    } catch (SQLException e) {
      rollbackQuietly();
      throw new StoreException("commit failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void purge(long notificationsBefore, long runStartedBefore) {
    try (PreparedStatement n = writer.prepareStatement(
            "DELETE FROM notifications WHERE created_at < ?");
        PreparedStatement o = writer.prepareStatement("DELETE FROM orders WHERE state != 'draft'"
            + " AND EXISTS (SELECT 1 FROM multi_sessions m WHERE m.dbname = orders.dbname"
            + " AND m.ms_id = orders.ms_id AND orders.run_id < m.run_id"
            + " AND m.run_started_at <= ?)")) {
      begin();
      n.setLong(1, notificationsBefore);
      n.executeUpdate();
      o.setLong(1, runStartedBefore);
      o.executeUpdate();
      end();
    } catch (SQLException e) {
      rollbackQuietly();
      throw new StoreException("purge failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<OutboxRow> nextPending(String dbname, OutboxEntry.Kind kind) {
    synchronized (readLock) {
      try (PreparedStatement p = reader.prepareStatement(OUTBOX_SELECT + " WHERE dbname = ?"
          + " AND kind = ? AND state = 'pending' ORDER BY id LIMIT 1")) {
        p.setString(1, dbname);
        p.setString(2, kind.name());
        List<OutboxRow> rows = outboxRows(p);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
      } catch (SQLException e) {
        throw new StoreException("cannot read the outbox: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public List<OutboxRow> outbox(String dbname, OutboxState state, int limit) {
    synchronized (readLock) {
      try (PreparedStatement p = reader.prepareStatement(OUTBOX_SELECT
          + " WHERE (? IS NULL OR dbname = ?) AND (? IS NULL OR state = ?) ORDER BY id DESC"
          + " LIMIT ?")) {
        String st = state == null ? null : state.wire();
        p.setString(1, dbname);
        p.setString(2, dbname);
        p.setString(3, st);
        p.setString(4, st);
        p.setInt(5, limit);
        return outboxRows(p);
      } catch (SQLException e) {
        throw new StoreException("cannot read the outbox: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public List<OutboxWaiting> outboxWaiting() {
    synchronized (readLock) {
      try (Statement s = reader.createStatement();
          // The next try is the oldest entry's: the worker sends them in order, one at a time.
          ResultSet rs = s.executeQuery("SELECT dbname, count(*), min(created_at),"
              + " (SELECT next_attempt_at FROM outbox e WHERE e.dbname = o.dbname"
              + " AND e.kind = 'DELIVER' AND e.state = 'pending' ORDER BY e.id LIMIT 1),"
              + " max(attempts), (SELECT last_error FROM outbox e"
              + " WHERE e.dbname = o.dbname AND e.kind = 'DELIVER' AND e.state = 'pending'"
              + " AND e.last_error IS NOT NULL ORDER BY e.updated_at DESC LIMIT 1)"
              + " FROM outbox o WHERE kind = 'DELIVER' AND state = 'pending'"
              + " GROUP BY dbname ORDER BY dbname")) {
        List<OutboxWaiting> out = new ArrayList<>();
        while (rs.next()) {
          out.add(new OutboxWaiting(rs.getString(1), rs.getInt(2), rs.getLong(3),
              rs.getLong(4), rs.getInt(5), rs.getString(6)));
        }
        return out;
      } catch (SQLException e) {
        throw new StoreException("cannot read the outbox: " + e.getMessage(), e);
      }
    }
  }

  /** Orders looked at for names: the newest, enough to have seen every terminal at work. */
  static final int NAMED_ORDERS = 5000;

  @Override
  public List<TerminalName> terminalNames() {
    String named = "json_extract(message, '$.data.ms_info.%1$s.pos.id') AS pos_id,"
        + " json_extract(message, '$.data.ms_info.%1$s.pos.name') AS pos_name,"
        + " json_extract(message, '$.data.ms_info.%1$s.user.name') AS cashier";
    synchronized (readLock) {
      try (Statement s = reader.createStatement();
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

  @Override
  public Map<String, Map<OutboxState, Integer>> outboxCounts() {
    synchronized (readLock) {
      try (Statement s = reader.createStatement();
          ResultSet rs = s.executeQuery("SELECT dbname, state, count(*) FROM outbox"
              + " GROUP BY dbname, state ORDER BY dbname")) {
        Map<String, Map<OutboxState, Integer>> out = new LinkedHashMap<>();
        while (rs.next()) {
          out.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
              .put(OutboxState.of(rs.getString(2)), rs.getInt(3));
        }
        return out;
      } catch (SQLException e) {
        throw new StoreException("cannot read the outbox: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void updateOutbox(long id, OutboxState state, int attempts, long nextAttemptAt,
      String lastError, Integer odooOrderId, long now) {
    try (PreparedStatement p = writer.prepareStatement("UPDATE outbox SET state = ?,"
        + " attempts = ?, next_attempt_at = ?, last_error = ?,"
        + " odoo_order_id = coalesce(?, odoo_order_id), updated_at = ? WHERE id = ?")) {
      begin();
      p.setString(1, state.wire());
      p.setInt(2, attempts);
      p.setLong(3, nextAttemptAt);
      p.setString(4, lastError);
      if (odooOrderId == null) {
        p.setNull(5, java.sql.Types.INTEGER);
      } else {
        p.setInt(5, odooOrderId);
      }
      p.setLong(6, now);
      p.setLong(7, id);
      p.executeUpdate();
      end();
    } catch (SQLException e) {
      rollbackQuietly();
      throw new StoreException("cannot update outbox entry " + id + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<OutboxPause> pause(String dbname) {
    synchronized (readLock) {
      try (PreparedStatement p = reader.prepareStatement("SELECT reason, credentials, since"
          + " FROM outbox_pauses WHERE dbname = ?")) {
        p.setString(1, dbname);
        try (ResultSet rs = p.executeQuery()) {
          return rs.next()
              ? Optional.of(new OutboxPause(dbname, rs.getString(1), rs.getString(2), rs.getLong(3)))
              : Optional.empty();
        }
      } catch (SQLException e) {
        throw new StoreException("cannot read outbox pauses: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void setPause(String dbname, OutboxPause pause) {
    try (PreparedStatement del = writer.prepareStatement(
            "DELETE FROM outbox_pauses WHERE dbname = ?");
        PreparedStatement ins = writer.prepareStatement(
            "INSERT INTO outbox_pauses VALUES (?, ?, ?, ?)")) {
      begin();
      del.setString(1, dbname);
      del.executeUpdate();
      if (pause != null) {
        ins.setString(1, dbname);
        ins.setString(2, pause.reason());
        ins.setString(3, pause.credentials());
        ins.setLong(4, pause.since());
        ins.executeUpdate();
      }
      end();
    } catch (SQLException e) {
      rollbackQuietly();
      throw new StoreException("cannot record the outbox pause: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkWritable(int bytes) {
    long usable;
    try {
      usable = Files.getFileStore(dataDir).getUsableSpace();
    } catch (IOException e) {
      throw new StoreException("cannot read the free space of " + dataDir + ": " + e, e);
    }
    if (usable < bytes) {
      throw new StoreException("the disk holding " + dataDir + " is full (" + usable
          + " bytes free)");
    }
    // A rolled-back insert allocates pages like a real commit does, so it meets store.max_bytes
    // (SQLite's max_page_count) exactly where a commit would; ids are positive, -1 is never used.
    try (PreparedStatement p = writer.prepareStatement(
        "INSERT INTO notifications VALUES (-1, '', 0, zeroblob(?))")) {
      begin();
      try {
        p.setInt(1, bytes);
        p.executeUpdate();
      } finally {
        rollbackQuietly();
      }
    } catch (SQLException e) {
      throw new StoreException("the store cannot take a write of " + bytes + " bytes: "
          + e.getMessage(), e);
    }
  }

  @Override
  public Optional<AccessToken> token(String hash) {
    synchronized (readLock) {
      try (PreparedStatement p = reader.prepareStatement(TOKEN_SELECT + " WHERE hash = ?")) {
        p.setString(1, hash);
        List<AccessToken> found = tokenRows(p);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
      } catch (SQLException e) {
        throw new StoreException("cannot read tokens: " + e.getMessage(), e);
      }
    }
  }

  static final String TOKEN_SELECT =
      "SELECT hash, dbname, ms_id, label, created_at, revoked_at FROM tokens";

  static List<AccessToken> tokenRows(PreparedStatement p) throws SQLException {
    List<AccessToken> out = new ArrayList<>();
    try (ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        long revoked = rs.getLong(6);
        Long revokedAt = rs.wasNull() ? null : revoked;
        String hash = rs.getString(1);
        out.add(new AccessToken(hash.substring(0, 12), hash, rs.getString(2), rs.getLong(3),
            rs.getString(4), rs.getLong(5), revokedAt));
      }
    }
    return out;
  }

  static final String OUTBOX_SELECT = "SELECT id, dbname, uid, kind, pos_reference, payload,"
      + " state, attempts, next_attempt_at, last_error, odoo_order_id, created_at, updated_at"
      + " FROM outbox";

  static List<OutboxRow> outboxRows(PreparedStatement p) throws SQLException {
    List<OutboxRow> out = new ArrayList<>();
    try (ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        int odooId = rs.getInt(11);
        Integer odooOrderId = rs.wasNull() ? null : odooId; // wasNull speaks of the last read
        out.add(new OutboxRow(rs.getLong(1), rs.getString(2), rs.getString(3),
            OutboxEntry.Kind.valueOf(rs.getString(4)), rs.getString(5), rs.getString(6),
            OutboxState.of(rs.getString(7)), rs.getInt(8), rs.getLong(9), rs.getString(10),
            odooOrderId, rs.getLong(12), rs.getLong(13)));
      }
    }
    return out;
  }

  /** The data directory, for messages. */
  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() {
    closeQuietly(reader);
    closeQuietly(writer);
    try {
      lock.release();
    } catch (IOException ignored) {
      // the channel is closed next anyway
    }
    closeQuietly(lockChannel);
  }

  // Transactions are explicit: after SQLITE_FULL SQLite may already have rolled back on its own,
  // and a driver-managed transaction would then silently run the next batch in autocommit mode.
  private void begin() throws SQLException {
    try (Statement s = writer.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
    }
  }

  private void end() throws SQLException {
    try (Statement s = writer.createStatement()) {
      s.execute("COMMIT");
    }
  }

  private void rollbackQuietly() {
    try (Statement s = writer.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException alreadyRolledBack) {
      // SQLite ends the transaction itself on some errors; then there is nothing to undo
    }
  }

  private static String single(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("no result for " + sql);
      }
      return rs.getString(1);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // closing after a failure
      }
    }
  }
}
