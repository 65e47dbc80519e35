package io.possync.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's own tables: its nodes with their heartbeats ({@code cluster_nodes}) and which node
 * delivers which Odoo database's outbox ({@code outbox_leases}).
 */
public final class ClusterTables {
  private final SqlDatabase db;

  ClusterTables(SqlDatabase db) {
    this.db = db;
  }

  /** A node of the cluster as the table last heard of it. */
  public record Node(String name, long startedAt, long heartbeatAt, String version) {}

  /** Who delivers a database's outbox, until when (ms since the epoch). */
  public record Lease(String dbname, String node, long expiresAt) {}

  /** Records that {@code node} is alive now. */
  public void heartbeat(String node, long startedAt, String version, long now) {
    db.write("cannot record the node's heartbeat", c -> {
      try (PreparedStatement p = c.prepareStatement("INSERT INTO cluster_nodes VALUES"
          + " (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at,"
          + " heartbeat_at = excluded.heartbeat_at, version = excluded.version")) {
        p.setString(1, node);
        p.setLong(2, startedAt);
        p.setLong(3, now);
        p.setString(4, version);
        return p.executeUpdate();
      }
    });
  }

  /** Every node that ever joined, by name. */
  public List<Node> nodes() {
    return db.read("cannot read the cluster's nodes", c -> {
      try (PreparedStatement p = c.prepareStatement("SELECT name, started_at, heartbeat_at,"
          + " version FROM cluster_nodes ORDER BY name");
          ResultSet rs = p.executeQuery()) {
        List<Node> out = new ArrayList<>();
        while (rs.next()) {
          out.add(new Node(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getString(4)));
        }
        return out;
      }
    });
  }

  /**
   * Takes or renews the lease on {@code dbname}'s outbox for {@code node} until {@code until}:
   * granted if no node holds it, this node does, or the holder's lease expired.
   *
   * @return whether {@code node} holds it now
   */
  public boolean holdLease(String dbname, String node, long now, long until) {
    return db.write("cannot take the outbox lease of " + dbname, c -> {
      try (PreparedStatement p = c.prepareStatement("INSERT INTO outbox_leases VALUES (?, ?, ?)"
          + " ON CONFLICT (dbname) DO UPDATE SET node = excluded.node,"
          + " expires_at = excluded.expires_at"
          + " WHERE outbox_leases.node = excluded.node OR outbox_leases.expires_at < ?"
          + " RETURNING node")) {
        p.setString(1, dbname);
        p.setString(2, node);
        p.setLong(3, until);
        p.setLong(4, now);
        try (ResultSet rs = p.executeQuery()) {
          return rs.next() && node.equals(rs.getString(1));
        }
      }
    });
  }

  /** Extends every lease {@code node} holds to {@code until}. */
  public void renewLeases(String node, long until) {
    db.write("cannot renew the outbox leases", c -> {
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE outbox_leases SET expires_at = ? WHERE node = ?")) {
        p.setLong(1, until);
        p.setString(2, node);
        return p.executeUpdate();
      }
    });
  }

  /** Gives up the leases of {@code node} (it stops), so that another takes over at once. */
  public void releaseLeases(String node) {
    db.write("cannot release the outbox leases", c -> {
      try (PreparedStatement p = c.prepareStatement(
          "DELETE FROM outbox_leases WHERE node = ?")) {
        p.setString(1, node);
        return p.executeUpdate();
      }
    });
  }

  /** Every lease, by database. */
  public List<Lease> leases() {
    return db.read("cannot read the outbox leases", c -> {
      try (PreparedStatement p = c.prepareStatement("SELECT dbname, node, expires_at"
          + " FROM outbox_leases ORDER BY dbname");
          ResultSet rs = p.executeQuery()) {
        List<Lease> out = new ArrayList<>();
        while (rs.next()) {
          out.add(new Lease(rs.getString(1), rs.getString(2), rs.getLong(3)));
        }
        return out;
      }
    });
  }
}
