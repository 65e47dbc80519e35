package io.possync.store;

import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's view of the outbox ({@code possync outbox …}), working on the data directory
 * while the server may be running: SQLite's locking keeps both consistent, and the server reads
 * the outbox afresh on every pass, so a retry or a drop takes effect within a second.
 */
public final class OutboxAdmin implements AutoCloseable {
  private final Connection db;

  private OutboxAdmin(Connection db) {
    this.db = db;
  }

  /**
   * @throws StoreException if there is no PosSync database with an outbox in {@code dataDir}
   */
  public static OutboxAdmin open(Path dataDir) {
    return new OutboxAdmin(openDirect(dataDir));
  }

  /**
   * A connection to the database of a data directory, beside a running server (no lock file),
   * for the operator's commands; the schema must be this version's.
   */
  static Connection openDirect(Path dataDir) {
    Path file = dataDir.resolve(SqliteStore.DB_FILE);
    if (!Files.isRegularFile(file)) {
      throw new StoreException("no PosSync database in " + dataDir.toAbsolutePath()
          + " (check --data-dir or store.data_dir)");
    }
    try {
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
        try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
          if (!rs.next() || rs.getInt(1) < SqliteStore.SCHEMA_VERSION) {
            c.close();
            throw new StoreException(file + " was written by an older PosSync; start this"
                + " version once to upgrade it");
          }
        }
      }
      return c;
    } catch (SQLException e) {
      throw new StoreException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  /** Entries, newest first; null filters mean all. */
  public List<OutboxRow> list(String dbname, OutboxState state, int limit) {
    try (PreparedStatement p = db.prepareStatement(SqliteStore.OUTBOX_SELECT
        + " WHERE (? IS NULL OR dbname = ?) AND (? IS NULL OR state = ?) ORDER BY id DESC LIMIT ?")) {
      String st = state == null ? null : state.wire();
      p.setString(1, dbname);
      p.setString(2, dbname);
      p.setString(3, st);
      p.setString(4, st);
      p.setInt(5, limit);
      return SqliteStore.outboxRows(p);
    } catch (SQLException e) {
      throw new StoreException("cannot read the outbox: " + e.getMessage(), e);
    }
  }

  /** Paused databases. */
  public List<OutboxPause> pauses() {
    try (Statement s = db.createStatement();
        ResultSet rs = s.executeQuery("SELECT dbname, reason, credentials, since FROM outbox_pauses")) {
      List<OutboxPause> out = new ArrayList<>();
      while (rs.next()) {
        out.add(new OutboxPause(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read outbox pauses: " + e.getMessage(), e);
    }
  }

  /** Makes one entry (dead, missing or waiting) due again at once; returns how many changed. */
  public int retry(long id, long now) {
    return update("UPDATE outbox SET state = 'pending', next_attempt_at = 0, updated_at = ?"
        + " WHERE id = ? AND state IN ('pending', 'dead', 'missing')", now, id);
  }

  /** Makes every dead entry of a database due again; returns how many changed. */
  public int retryDead(String dbname, long now) {
    try (PreparedStatement p = db.prepareStatement("UPDATE outbox SET state = 'pending',"
        + " next_attempt_at = 0, updated_at = ? WHERE dbname = ? AND state = 'dead'")) {
      p.setLong(1, now);
      p.setString(2, dbname);
      return p.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot update the outbox: " + e.getMessage(), e);
    }
  }

  /** Gives up on one entry; it stays listed as dropped. */
  public int drop(long id, long now) {
    return update("UPDATE outbox SET state = 'dropped', updated_at = ? WHERE id = ?"
        + " AND state != 'done'", now, id);
  }

  /** Lifts the pause of a database's outbox; returns 1 if it was paused. */
  public int resume(String dbname) {
    try (PreparedStatement p = db.prepareStatement("DELETE FROM outbox_pauses WHERE dbname = ?")) {
      p.setString(1, dbname);
      return p.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot update outbox pauses: " + e.getMessage(), e);
    }
  }

  private int update(String sql, long now, long id) {
    try (PreparedStatement p = db.prepareStatement(sql)) {
      p.setLong(1, now);
      p.setLong(2, id);
      return p.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot update the outbox: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      db.close();
    } catch (SQLException ignored) {
      // nothing was pending
    }
  }
}
