package io.possync.store;

import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxRow;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxStore;
import io.possync.outbox.OutboxWaiting;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The outbox tables ({@code outbox}, {@code outbox_pauses}): every query on them. Writes run at
 * once on the calling thread and return a completed future, or throw {@link StoreException}; in
 * the server that thread must be the store's single writer, which the wiring's adapter sees to.
 *
 * <p>Opened with {@link #open} it serves the operator's commands ({@code possync outbox …}) on
 * the data directory while the server may be running: SQLite's locking keeps both consistent,
 * and the server reads the outbox afresh on every pass, so a retry or a drop takes effect within
 * a second.
 */
public final class OutboxTables implements OutboxStore, AutoCloseable {
  private static final String SELECT = "SELECT id, dbname, uid, kind, pos_reference, payload,"
      + " state, attempts, next_attempt_at, last_error, odoo_order_id, created_at, updated_at"
      + " FROM outbox";

  private final SqlDatabase db;
  /** Opened by {@link #open}: closing this closes the database too. */
  private final boolean ownsDatabase;

  OutboxTables(SqlDatabase db) {
    this(db, false);
  }

  private OutboxTables(SqlDatabase db, boolean ownsDatabase) {
    this.db = db;
    this.ownsDatabase = ownsDatabase;
  }

  /**
   * The outbox of a data directory, beside a running server, for the operator's commands.
   *
   * @throws StoreException if there is no PosSync database with an outbox in {@code dataDir}
   */
  public static OutboxTables open(Path dataDir) {
    return new OutboxTables(SqliteDatabase.openBeside(dataDir), true);
  }

  /**
   * The outbox of a cluster's PostgreSQL database, for the operator's commands.
   *
   * @throws StoreException if the database cannot be reached
   */
  public static OutboxTables open(SharedStoreAddress address) {
    return new OutboxTables(address.open(), true);
  }

  // --- queueing, in the commit of the decision that caused it -----------------------------

  /** The statement {@link #queue} fills; prepared on the writing connection by the commit. */
  static PreparedStatement prepareQueue(Connection writer) throws SQLException {
    return writer.prepareStatement("INSERT INTO outbox (dbname,"
        + " uid, kind, pos_reference, payload, state, attempts, next_attempt_at, created_at,"
        + " updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT DO NOTHING");
  }

  /** Adds a new entry to the batch; an entry already queued under its key stays as it is. */
  static void queue(PreparedStatement outbox, OutboxEntry e, long now) throws SQLException {
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

  // --- reads ------------------------------------------------------------------------------

  @Override
  public Optional<OutboxRow> nextPending(String dbname, OutboxEntry.Kind kind) {
    return db.read("cannot read the outbox", c -> {
      try (PreparedStatement p = c.prepareStatement(SELECT + " WHERE dbname = ?"
          + " AND kind = ? AND state = 'pending' ORDER BY id LIMIT 1")) {
        p.setString(1, dbname);
        p.setString(2, kind.name());
        List<OutboxRow> rows = rows(p);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
      }
    });
  }

  @Override
  public List<OutboxRow> list(String dbname, OutboxState state, int limit) {
    return db.read("cannot read the outbox", c -> {
      try (PreparedStatement p = c.prepareStatement(SELECT
          + " WHERE (? IS NULL OR dbname = ?) AND (? IS NULL OR state = ?) ORDER BY id DESC"
          + " LIMIT ?")) {
        String st = state == null ? null : state.wire();
        p.setString(1, dbname);
        p.setString(2, dbname);
        p.setString(3, st);
        p.setString(4, st);
        p.setInt(5, limit);
        return rows(p);
      }
    });
  }

  @Override
  public Map<String, Map<OutboxState, Integer>> counts() {
    return db.read("cannot read the outbox", c -> {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT dbname, state, count(*) FROM outbox"
              + " GROUP BY dbname, state ORDER BY dbname")) {
        Map<String, Map<OutboxState, Integer>> out = new LinkedHashMap<>();
        while (rs.next()) {
          out.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
              .put(OutboxState.of(rs.getString(2)), rs.getInt(3));
        }
        return out;
      }
    });
  }

  @Override
  public List<OutboxWaiting> waiting() {
    return db.read("cannot read the outbox", c -> {
      try (Statement s = c.createStatement();
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
      }
    });
  }

  @Override
  public Optional<OutboxPause> pauseOf(String dbname) {
    return db.read("cannot read outbox pauses", c -> {
      try (PreparedStatement p = c.prepareStatement("SELECT dbname, reason, credentials, since"
          + " FROM outbox_pauses WHERE dbname = ?")) {
        p.setString(1, dbname);
        List<OutboxPause> found = pauses(p);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
      }
    });
  }

  @Override
  public List<OutboxPause> pauses() {
    return db.read("cannot read outbox pauses", c -> {
      try (PreparedStatement p = c.prepareStatement("SELECT dbname, reason, credentials, since"
          + " FROM outbox_pauses")) {
        return pauses(p);
      }
    });
  }

  // --- writes -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> recordAttempt(long id, OutboxState state, int attempts,
      long nextAttemptAt, String lastError, Integer odooOrderId, long now) {
    return done(db.write("cannot update outbox entry " + id, c -> {
      try (PreparedStatement p = c.prepareStatement("UPDATE outbox SET state = ?,"
          + " attempts = ?, next_attempt_at = ?, last_error = ?,"
          + " odoo_order_id = coalesce(?, odoo_order_id), updated_at = ? WHERE id = ?")) {
        p.setString(1, state.wire());
        p.setInt(2, attempts);
        p.setLong(3, nextAttemptAt);
        p.setString(4, lastError);
        if (odooOrderId == null) {
          p.setNull(5, Types.INTEGER);
        } else {
          p.setInt(5, odooOrderId);
        }
        p.setLong(6, now);
        p.setLong(7, id);
        p.executeUpdate();
        return null;
      }
    }));
  }

  @Override
  public CompletableFuture<Void> pause(OutboxPause pause) {
    return done(db.write("cannot record the outbox pause", c -> {
      try (PreparedStatement del = c.prepareStatement(
              "DELETE FROM outbox_pauses WHERE dbname = ?");
          PreparedStatement ins = c.prepareStatement(
              "INSERT INTO outbox_pauses VALUES (?, ?, ?, ?)")) {
        del.setString(1, pause.dbname());
        del.executeUpdate();
        ins.setString(1, pause.dbname());
        ins.setString(2, pause.reason());
        ins.setString(3, pause.credentials());
        ins.setLong(4, pause.since());
        ins.executeUpdate();
        return null;
      }
    }));
  }

  @Override
  public CompletableFuture<Integer> resume(String dbname) {
    return done(db.write("cannot update outbox pauses", c -> {
      try (PreparedStatement p = c.prepareStatement(
          "DELETE FROM outbox_pauses WHERE dbname = ?")) {
        p.setString(1, dbname);
        return p.executeUpdate();
      }
    }));
  }

  @Override
  public CompletableFuture<Integer> retry(long id, long now) {
    return update("UPDATE outbox SET state = 'pending', next_attempt_at = 0, updated_at = ?"
        + " WHERE id = ? AND state IN ('pending', 'dead', 'missing')", now, id);
  }

  @Override
  public CompletableFuture<Integer> retryDead(String dbname, long now) {
    return done(db.write("cannot update the outbox", c -> {
      try (PreparedStatement p = c.prepareStatement("UPDATE outbox SET state = 'pending',"
          + " next_attempt_at = 0, updated_at = ? WHERE dbname = ? AND state = 'dead'")) {
        p.setLong(1, now);
        p.setString(2, dbname);
        return p.executeUpdate();
      }
    }));
  }

  @Override
  public CompletableFuture<Integer> drop(long id, long now) {
    return update("UPDATE outbox SET state = 'dropped', updated_at = ? WHERE id = ?"
        + " AND state != 'done'", now, id);
  }

  private CompletableFuture<Integer> update(String sql, long now, long id) {
    return done(db.write("cannot update the outbox", c -> {
      try (PreparedStatement p = c.prepareStatement(sql)) {
        p.setLong(1, now);
        p.setLong(2, id);
        return p.executeUpdate();
      }
    }));
  }

  private static <T> CompletableFuture<T> done(T result) {
    return CompletableFuture.completedFuture(result);
  }

  private static List<OutboxRow> rows(PreparedStatement p) throws SQLException {
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

  private static List<OutboxPause> pauses(PreparedStatement p) throws SQLException {
    List<OutboxPause> out = new ArrayList<>();
    try (ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        out.add(new OutboxPause(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getLong(4)));
      }
    }
    return out;
  }

  /** Closes the database if {@link #open} opened it; the server's store closes its own. */
  @Override
  public void close() {
    if (ownsDatabase) {
      db.close();
    }
  }
}
