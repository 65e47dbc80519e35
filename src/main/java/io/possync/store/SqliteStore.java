package io.possync.store;

import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionSnapshot;
import io.possync.sync.StateChanges;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalRow;
import io.possync.wire.Notification;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The embedded store: one SQLite file in WAL mode in the data directory. One connection writes
 * (the group-commit thread), another serves the rare loads of cold multi-sessions. Each concern
 * has a class of its own: the file ({@link SqliteDatabase}), the multi-session state
 * ({@link SqliteStateTables}), the outbox ({@link OutboxTables}), the access tokens
 * ({@link TokenTables}) and the write probe ({@link SqliteWriteProbe}).
 */
public final class SqliteStore implements Store {
  /** Held (locked) by the one PosSync process that uses the data directory. */
  public static final String LOCK_FILE = SqliteDatabase.LOCK_FILE;

  /** How hard a commit is made durable. */
  public enum SyncPolicy {
    /** Survives the process being killed (kill -9); the OS may lose the last commits on power loss. */
    PROCESS,
    /** fsync on every commit: survives power loss. */
    POWER
  }

  private final SqliteDatabase db;
  private final SqliteStateTables state;
  private final OutboxTables outbox;
  private final TokenTables tokens;
  private final SqliteWriteProbe probe;

  private SqliteStore(SqliteDatabase db) {
    this.db = db;
    this.state = new SqliteStateTables(db);
    this.outbox = new OutboxTables(db);
    this.tokens = new TokenTables(db);
    this.probe = new SqliteWriteProbe(db);
  }

  /**
   * Opens (creating or migrating) the store in {@code dataDir}.
   *
   * @throws StoreException with a message for the operator if the directory is unusable, locked
   *                        by another PosSync, or holds a corrupt or newer database
   */
  public static SqliteStore open(Path dataDir, SyncPolicy policy, long maxBytes) {
    return new SqliteStore(SqliteDatabase.open(dataDir, policy, maxBytes));
  }

  /**
   * What {@link #open} would say of the database in {@code dataDir}, without writing anything.
   * For {@code possync check}; call it only while no PosSync runs on the directory.
   *
   * @throws StoreException with the words {@link #open} would use
   */
  public static void inspect(Path dataDir) {
    SqliteDatabase.inspect(dataDir);
  }

  @Override
  public long lastNotificationId() {
    return state.lastNotificationId();
  }

  @Override
  public List<Notification> notificationsSince(long sinceMillis, long maxBytes) {
    return state.notificationsSince(sinceMillis, maxBytes);
  }

  @Override
  public Optional<MultiSessionSnapshot> loadMultiSession(MultiSessionKey key) {
    return state.loadMultiSession(key);
  }

  @Override
  public Optional<TerminalRow> loadTerminal(TerminalKey key) {
    return state.loadTerminal(key);
  }

  @Override
  public void commit(List<StateChanges> changes, List<Notification> notifications,
      long lastNotificationId, long now) {
    state.commit(changes, notifications, lastNotificationId, now);
  }

  @Override
  public void purge(long notificationsBefore, long runStartedBefore) {
    state.purge(notificationsBefore, runStartedBefore);
  }

  @Override
  public List<TerminalName> terminalNames() {
    return state.terminalNames();
  }

  @Override
  public void checkWritable(int bytes) {
    probe.checkWritable(bytes);
  }

  /**
   * The outbox tables. Their writes run on the calling thread: in the server, only the writer
   * thread may call them.
   */
  public OutboxTables outbox() {
    return outbox;
  }

  /** The access tokens table. */
  public TokenTables tokens() {
    return tokens;
  }

  /** The data directory, for messages. */
  public Path dataDir() {
    return db.dataDir();
  }

  @Override
  public void close() {
    db.close();
  }
}
