package io.possync.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * The operator's commands on capability tokens ({@code possync token …}), on the data directory
 * of a server that may be running; the server sees a change within its token cache time.
 */
public final class TokenAdmin implements AutoCloseable {
  private final Connection db;

  private TokenAdmin(Connection db) {
    this.db = db;
  }

  public static TokenAdmin open(Path dataDir) {
    return new TokenAdmin(OutboxAdmin.openDirect(dataDir));
  }

  /** Stores a new token, by the hash of its secret (the secret itself is never stored). */
  public void create(String hash, String dbname, long multiSessionId, String label, long now) {
    try (PreparedStatement p = db.prepareStatement(
        "INSERT INTO tokens (hash, dbname, ms_id, label, created_at) VALUES (?, ?, ?, ?, ?)")) {
      p.setString(1, hash);
      p.setString(2, dbname);
      p.setLong(3, multiSessionId);
      p.setString(4, label);
      p.setLong(5, now);
      p.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot store the token: " + e.getMessage(), e);
    }
  }

  /** Every token, newest first. */
  public List<AccessToken> list() {
    try (PreparedStatement p = db.prepareStatement(SqliteStore.TOKEN_SELECT
        + " ORDER BY created_at DESC")) {
      return SqliteStore.tokenRows(p);
    } catch (SQLException e) {
      throw new StoreException("cannot read tokens: " + e.getMessage(), e);
    }
  }

  /** Revokes the tokens whose id (hash prefix) is given; returns how many. */
  public int revoke(String id, long now) {
    if (id.length() < 8 || !id.matches("[0-9a-f]+")) {
      return 0;
    }
    try (PreparedStatement p = db.prepareStatement("UPDATE tokens SET revoked_at = ?"
        + " WHERE hash LIKE ? AND revoked_at IS NULL")) {
      p.setLong(1, now);
      p.setString(2, id + "%");
      return p.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot revoke the token: " + e.getMessage(), e);
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
