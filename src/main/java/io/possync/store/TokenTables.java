package io.possync.store;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The capability tokens table: the server looks tokens up by hash; opened with {@link #open}, the
 * operator's commands ({@code possync token …}) change them on the data directory of a server
 * that may be running, which sees a change within its token cache time.
 */
public final class TokenTables implements AutoCloseable {
  private static final String SELECT =
      "SELECT hash, dbname, ms_id, label, created_at, revoked_at FROM tokens";

  private final SqlDatabase db;
  /** Opened by {@link #open}: closing this closes the database too. */
  private final boolean ownsDatabase;

  TokenTables(SqlDatabase db) {
    this(db, false);
  }

  private TokenTables(SqlDatabase db, boolean ownsDatabase) {
    this.db = db;
    this.ownsDatabase = ownsDatabase;
  }

  /**
   * The tokens of a data directory, beside a running server, for the operator's commands.
   *
   * @throws StoreException if there is no PosSync database of this version in {@code dataDir}
   */
  public static TokenTables open(Path dataDir) {
    return new TokenTables(SqliteDatabase.openBeside(dataDir), true);
  }

  /**
   * The tokens of a cluster's PostgreSQL database, for the operator's commands.
   *
   * @throws StoreException if the database cannot be reached
   */
  public static TokenTables open(SharedStoreAddress address) {
    return new TokenTables(address.open(), true);
  }

  /** The token with this hash, revoked or not. */
  public Optional<AccessToken> token(String hash) {
    return db.read("cannot read tokens", c -> {
      try (PreparedStatement p = c.prepareStatement(SELECT + " WHERE hash = ?")) {
        p.setString(1, hash);
        List<AccessToken> found = rows(p);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
      }
    });
  }

  /** Stores a new token, by the hash of its secret (the secret itself is never stored). */
  public void create(String hash, String dbname, long multiSessionId, String label, long now) {
    db.write("cannot store the token", c -> {
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO tokens (hash, dbname, ms_id, label, created_at) VALUES (?, ?, ?, ?, ?)")) {
        p.setString(1, hash);
        p.setString(2, dbname);
        p.setLong(3, multiSessionId);
        p.setString(4, label);
        p.setLong(5, now);
        return p.executeUpdate();
      }
    });
  }

  /** Every token, newest first. */
  public List<AccessToken> list() {
    return db.read("cannot read tokens", c -> {
      try (PreparedStatement p = c.prepareStatement(SELECT + " ORDER BY created_at DESC")) {
        return rows(p);
      }
    });
  }

  /** Revokes the tokens whose id (hash prefix) is given; returns how many. */
  public int revoke(String id, long now) {
    if (id.length() < 8 || !id.matches("[0-9a-f]+")) {
      return 0;
    }
    return db.write("cannot revoke the token", c -> {
      try (PreparedStatement p = c.prepareStatement("UPDATE tokens SET revoked_at = ?"
          + " WHERE hash LIKE ? AND revoked_at IS NULL")) {
        p.setLong(1, now);
        p.setString(2, id + "%");
        return p.executeUpdate();
      }
    });
  }

  private static List<AccessToken> rows(PreparedStatement p) throws SQLException {
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

  /** Closes the database if {@link #open} opened it; the server's store closes its own. */
  @Override
  public void close() {
    if (ownsDatabase) {
      db.close();
    }
  }
}
