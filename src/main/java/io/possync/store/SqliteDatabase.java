package io.possync.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The SQLite file of a data directory: opening it (lock, pragmas, integrity, schema migrations),
 * its connections and the transaction discipline the table classes share. The server holds the
 * directory's lock and has two connections: one writes (the group-commit thread), the other serves
 * the reads. The operator's commands work beside a running server on one connection of their own.
 */
final class SqliteDatabase implements SqlDatabase, AutoCloseable {
  /** Version of the schema this code writes; older files are migrated at start. */
  static final int SCHEMA_VERSION = 4;
  static final String DB_FILE = "possync.db";
  /** Held (locked) by the one PosSync process that uses the data directory. */
  static final String LOCK_FILE = "possync.lock";

  private final Path dataDir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  /** Writes; in the server, from the single writer thread only. */
  final Connection writer;
  /** Reads, one at a time under {@link #readLock}. */
  final Connection reader;
  final Object readLock = new Object();

  private SqliteDatabase(Path dataDir, FileChannel lockChannel, FileLock lock, Connection writer,
      Connection reader) {
    this.dataDir = dataDir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.writer = writer;
    this.reader = reader;
  }

  /**
   * Opens (creating or migrating) the database in {@code dataDir} for the server, locking the
   * directory.
   *
   * @throws StoreException with a message for the operator if the directory is unusable, locked
   *                        by another PosSync, or holds a corrupt or newer database
   */
  static SqliteDatabase open(Path dataDir, SqliteStore.SyncPolicy policy, long maxBytes) {
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
        s.execute("PRAGMA synchronous = "
            + (policy == SqliteStore.SyncPolicy.POWER ? "FULL" : "NORMAL"));
        if (maxBytes > 0) {
          long pageSize = Long.parseLong(single(s, "PRAGMA page_size"));
          s.execute("PRAGMA max_page_count = " + Math.max(1, maxBytes / pageSize));
        }
        checkIntact(s, file);
        migrate(s, file);
      }
      r = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = r.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
      }
      return new SqliteDatabase(dir, channel, fileLock, w, r);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(w);
      closeQuietly(r);
      closeQuietly(channel);
      throw cannotOpen(file, e);
    }
  }

  /**
   * The database of a data directory, beside a running server (no lock file), for the operator's
   * commands: one connection, which reads and writes; the schema must be this version's.
   *
   * @throws StoreException if there is no PosSync database of this version in {@code dataDir}
   */
  static SqliteDatabase openBeside(Path dataDir) {
    Path file = dataDir.resolve(DB_FILE);
    if (!Files.isRegularFile(file)) {
      throw new StoreException("no PosSync database in " + dataDir.toAbsolutePath()
          + " (check --data-dir or store.data_dir)");
    }
    try {
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
        try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
          if (!rs.next() || rs.getInt(1) < SCHEMA_VERSION) {
            c.close();
            throw new StoreException(file + " was written by an older PosSync; start this"
                + " version once to upgrade it");
          }
        }
      }
      return new SqliteDatabase(dataDir, null, null, c, c);
    } catch (SQLException e) {
      throw new StoreException("cannot open " + file + ": " + e.getMessage(), e);
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
  static void inspect(Path dataDir) {
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

  private static void migrate(Statement s, Path file) throws SQLException {
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
    if (version < 4) {
      // Version 4: a broadcast's message is kept once (bodies), each copy only as its id, channel
      // and message_ID. Rows written before keep their whole text in notifications.body, with no
      // message_id.
      s.execute("BEGIN IMMEDIATE");
      s.execute("CREATE TABLE bodies (id INTEGER PRIMARY KEY, before TEXT NOT NULL,"
          + " after TEXT NOT NULL, created_at INTEGER NOT NULL)");
      s.execute("CREATE INDEX bodies_by_time ON bodies (created_at)");
      s.execute("ALTER TABLE notifications ADD COLUMN body_id INTEGER");
      s.execute("ALTER TABLE notifications ADD COLUMN message_id INTEGER");
      s.execute("PRAGMA user_version = 4");
      s.execute("COMMIT");
    }
  }

  /** Runs a read on the reading connection, one read at a time. */
  @Override
  public <T> T read(String failure, Sql<T> sql) {
    synchronized (readLock) {
      try {
        return sql.run(reader);
      } catch (SQLException e) {
        throw new StoreException(failure + ": " + e.getMessage(), e);
      }
    }
  }

  /** Runs a change on the writing connection in a transaction of its own. */
  @Override
  public <T> T write(String failure, Sql<T> sql) {
    try {
      begin();
      T result = sql.run(writer);
      end();
      return result;
    } catch (SQLException e) {
      rollbackQuietly();
      throw new StoreException(failure + ": " + e.getMessage(), e);
    }
  }

  // Transactions are explicit: after SQLITE_FULL SQLite may already have rolled back on its own,
  // and a driver-managed transaction would then silently run the next batch in autocommit mode.
  void begin() throws SQLException {
    try (Statement s = writer.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
    }
  }

  void end() throws SQLException {
    try (Statement s = writer.createStatement()) {
      s.execute("COMMIT");
    }
  }

  void rollbackQuietly() {
    try (Statement s = writer.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException alreadyRolledBack) {
      // SQLite ends the transaction itself on some errors; then there is nothing to undo
    }
  }

  /** The data directory, for messages. */
  Path dataDir() {
    return dataDir;
  }

  static String single(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("no result for " + sql);
      }
      return rs.getString(1);
    }
  }

  @Override
  public void close() {
    closeQuietly(reader);
    closeQuietly(writer);
    if (lock != null) {
      try {
        lock.release();
      } catch (IOException ignored) {
        // the channel is closed next anyway
      }
      closeQuietly(lockChannel);
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
