package io.possync.store;

import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionSnapshot;
import io.possync.sync.OrderBase;
import io.possync.sync.StateChanges;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalRow;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The cluster's store: the state of every node in one PostgreSQL database (docs/cluster.md).
 * Loads and commits take a pooled connection each; several nodes commit at once, and two rules
 * keep them as consistent as one node:
 *
 * <ul>
 *   <li>a decision commits only on the revision of its multi-session it was taken on
 *       ({@code multi_session_revisions}); a node whose copy was behind gets
 *       {@link StaleRevisionException} and decides again on fresh state;</li>
 *   <li>notification ids come from one counter row, updated as the transaction's last write: its
 *       row lock makes transactions that took ids commit in id order, so a poller on any node
 *       that has seen id {@code n} can never later meet a smaller id (Odoo's own bus has that
 *       race: ids from a sequence, visible in commit order).</li>
 * </ul>
 */
public final class PostgresStore implements Store {
  /** The channel a commit notifies the other nodes on; its payload is the highest id. */
  public static final String CHANNEL = "possync_bus";
  /** pg_try_advisory_xact_lock key of the retention purge: one node purges at a time. */
  private static final long PURGE_LOCK = 0x706f7373_7075726aL;

  private final PostgresDatabase db;
  private final OutboxTables outbox;
  private final TokenTables tokens;
  private final ClusterTables cluster;

  private PostgresStore(PostgresDatabase db) {
    this.db = db;
    this.outbox = new OutboxTables(db);
    this.tokens = new TokenTables(db);
    this.cluster = new ClusterTables(db);
  }

  /**
   * Connects to the cluster's database and creates or migrates its schema.
   *
   * @param password null for none
   * @throws StoreException with a message for the operator if that fails
   */
  public static PostgresStore open(String url, String user, String password, int poolSize,
      String nodeName) {
    return new PostgresStore(PostgresDatabase.open(url, user, password, poolSize,
        "possync " + nodeName));
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public long lastNotificationId() {
    return db.read("cannot read the notification counter", c -> {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT last_id FROM bus_counter WHERE id = 1")) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  @Override
  public List<Notification> notificationsSince(long sinceMillis, long maxBytes) {
    return db.read("cannot read notifications",
        c -> StateSql.notificationsSince(c, sinceMillis, maxBytes));
  }

  /** Committed notifications with ids above {@code after}, in id order, at most {@code limit}. */
  public List<Notification> notificationsAfter(long after, int limit) {
    return db.read("cannot read notifications",
        c -> StateSql.notificationsAfter(c, after, limit));
  }

  /**
   * Moves the notification counter to at least {@code id} (a client's {@code last} from before
   * a restore, docs/protocol.md §4.4) and returns it.
   */
  public long raiseCounter(long id) {
    return db.write("cannot move the notification counter", c -> {
      try (PreparedStatement p = c.prepareStatement("UPDATE bus_counter"
          + " SET last_id = greatest(last_id, ?) WHERE id = 1 RETURNING last_id")) {
        p.setLong(1, id);
        try (ResultSet rs = p.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  @Override
  public Optional<MultiSessionSnapshot> loadMultiSession(MultiSessionKey key) {
    return loadWithRevision(key).snapshot();
  }

  @Override
  public LoadedMultiSession loadWithRevision(MultiSessionKey key) {
    return db.read("cannot load multi-session " + key, c -> {
      // One snapshot for the revision and the rows: they must describe the same moment.
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      try {
        long revision = revision(c, key);
        Optional<MultiSessionSnapshot> snapshot = StateSql.loadMultiSession(c, key, "seq");
        if (snapshot.isPresent()) {
          snapshot = Optional.of(snapshot.get().withBases(bases(c, key)));
        }
        c.commit();
        return new LoadedMultiSession(snapshot, revision);
      } finally {
        PostgresDatabase.rollbackQuietly(c);
        c.setReadOnly(false);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        c.setAutoCommit(true);
      }
    });
  }

  /**
   * The merge bases of the multi-session's draft orders, oldest first (docs/conflicts.md): the
   * node that merges a late update may not be the one that took the revision it is based on.
   * The schema's trigger keeps them as orders are written (V2__order_bases.sql).
   */
  private static List<OrderBase> bases(Connection c, MultiSessionKey key) throws SQLException {
    List<OrderBase> out = new ArrayList<>();
    StateSql.forEachRow(c, "SELECT uid, revision, message FROM order_bases"
        + " WHERE dbname = ? AND ms_id = ? ORDER BY uid, revision", key,
        rs -> out.add(new OrderBase(rs.getString(1), rs.getLong(2), rs.getString(3))));
    return out;
  }

  @Override
  public long revisionOf(MultiSessionKey key) {
    return db.read("cannot read multi-session " + key, c -> revision(c, key));
  }

  private static long revision(Connection c, MultiSessionKey key) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT revision FROM multi_session_revisions"
        + " WHERE dbname = ? AND ms_id = ?")) {
      p.setString(1, key.dbname());
      p.setLong(2, key.multiSessionId());
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  @Override
  public Optional<TerminalRow> loadTerminal(TerminalKey key) {
    return db.read("cannot load terminal " + key, c -> StateSql.loadTerminal(c, key));
  }

  @Override
  public void commit(List<StateChanges> changes, List<Notification> notifications,
      long lastNotificationId, long now) {
    throw new UnsupportedOperationException("a shared store numbers notifications itself:"
        + " use commitNumbered");
  }

  @Override
  public List<Notification> commitNumbered(List<RevisionStep> steps, List<StateChanges> changes,
      List<Outgoing> outgoing, long now) {
    Connection c = null;
    StateSql.Batch batch = null;
    try {
      c = db.connection();
      c.setAutoCommit(false);
      checkRevisions(c, steps);
      batch = new StateSql.Batch(c);
      batch.addChanges(changes, now);
      batch.executeChanges();
      List<Notification> notifications = new ArrayList<>(outgoing.size());
      if (!outgoing.isEmpty()) {
        // Last: from here to the commit this transaction holds the counter's row lock.
        long next = takeIds(c, outgoing.size());
        for (Outgoing out : outgoing) {
          notifications.add(Notification.of(next++, out, now));
        }
        batch.addNotifications(notifications);
        batch.executeNotifications();
        try (PreparedStatement p = c.prepareStatement("SELECT pg_notify(?, ?)")) {
          p.setString(1, CHANNEL);
          p.setString(2, Long.toString(next - 1));
          p.execute();
        }
      }
      c.commit();
      return notifications;
    } catch (SQLException e) {
      if (c != null) {
        PostgresDatabase.rollbackQuietly(c);
      }
      throw new StoreException("commit failed: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      if (c != null) {
        PostgresDatabase.rollbackQuietly(c);
      }
      throw e;
    } finally {
      if (batch != null) {
        batch.closeQuietly();
      }
      if (c != null) {
        try {
          c.setAutoCommit(true);
          c.close();
        } catch (SQLException ignored) {
          // a broken connection: the pool drops it
        }
      }
    }
  }

  /**
   * Moves each multi-session from the revision its first decision here was taken on by the
   * number of decisions, or refuses the whole commit. In key order, so that two nodes committing
   * on the same multi-sessions lock their rows in the same order and never deadlock.
   */
  private static void checkRevisions(Connection c, List<RevisionStep> steps) throws SQLException {
    if (steps.isEmpty()) {
      return;
    }
    Map<MultiSessionKey, long[]> byKey = new TreeMap<>(Comparator
        .comparing(MultiSessionKey::dbname).thenComparingLong(MultiSessionKey::multiSessionId));
    for (RevisionStep s : steps) {
      long[] range = byKey.computeIfAbsent(s.key(), k -> new long[] {s.base(), s.base()});
      range[0] = Math.min(range[0], s.base());
      range[1] = Math.max(range[1], s.base() + 1);
    }
    Set<MultiSessionKey> stale = new LinkedHashSet<>();
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO multi_session_revisions"
            + " VALUES (?, ?, 0) ON CONFLICT DO NOTHING");
        PreparedStatement move = c.prepareStatement("UPDATE multi_session_revisions"
            + " SET revision = ? WHERE dbname = ? AND ms_id = ? AND revision = ?")) {
      for (Map.Entry<MultiSessionKey, long[]> e : byKey.entrySet()) {
        MultiSessionKey k = e.getKey();
        if (e.getValue()[0] == 0) {
          insert.setString(1, k.dbname());
          insert.setLong(2, k.multiSessionId());
          insert.executeUpdate();
        }
        move.setLong(1, e.getValue()[1]);
        move.setString(2, k.dbname());
        move.setLong(3, k.multiSessionId());
        move.setLong(4, e.getValue()[0]);
        if (move.executeUpdate() != 1) {
          stale.add(k);
        }
      }
    }
    if (!stale.isEmpty()) {
      throw new StaleRevisionException(stale);
    }
  }

  private static long takeIds(Connection c, int count) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("UPDATE bus_counter"
        + " SET last_id = last_id + ? WHERE id = 1 RETURNING last_id")) {
      p.setLong(1, count);
      try (ResultSet rs = p.executeQuery()) {
        rs.next();
        return rs.getLong(1) - count + 1;
      }
    }
  }

  @Override
  public void purge(long notificationsBefore, long runStartedBefore) {
    db.write("purge failed", c -> {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
        lock.setLong(1, PURGE_LOCK);
        try (ResultSet rs = lock.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return null; // another node is purging: one purger at a time is enough
          }
        }
      }
      StateSql.purge(c, notificationsBefore, runStartedBefore);
      return null;
    });
  }

  /** Orders looked at for names: the newest, enough to have seen every terminal at work. */
  private static final int NAMED_ORDERS = 5000;

  @Override
  public List<TerminalName> terminalNames() {
    String named = "m #>> '{data,ms_info,%1$s,pos,id}' AS pos_id,"
        + " m #>> '{data,ms_info,%1$s,pos,name}' AS pos_name,"
        + " m #>> '{data,ms_info,%1$s,user,name}' AS cashier,"
        + " jsonb_typeof(m #> '{data,ms_info,%1$s,pos,id}') AS id_type";
    return db.read("cannot read order names", c -> {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("WITH recent AS (SELECT seq AS r, dbname,"
              + " message::jsonb AS m FROM orders ORDER BY seq DESC LIMIT " + NAMED_ORDERS + ")"
              + " SELECT dbname, pos_id, pos_name, cashier FROM ("
              + " SELECT dbname, r, 0 AS p, " + String.format(named, "created") + " FROM recent"
              + " UNION ALL"
              + " SELECT dbname, r, 1 AS p, " + String.format(named, "changed") + " FROM recent"
              + ") named WHERE id_type = 'number' AND pos_id ~ '^[0-9]+$' ORDER BY r, p")) {
        Map<String, TerminalName> newest = new LinkedHashMap<>();
        while (rs.next()) {
          TerminalName n = new TerminalName(rs.getString(1), Long.parseLong(rs.getString(2)),
              rs.getString(3), rs.getString(4));
          newest.put(n.dbname() + "\n" + n.posId(), n);
        }
        return List.copyOf(newest.values());
      }
    });
  }

  /** Readiness: the database answers and takes writes (not a standby). */
  @Override
  public void checkWritable(int bytes) {
    boolean standby = db.read("PostgreSQL does not answer", c -> {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
        rs.next();
        return rs.getBoolean(1);
      }
    });
    if (standby) {
      throw new StoreException("PostgreSQL is a read-only standby");
    }
  }

  /** The outbox tables; their writes run on the calling thread. */
  public OutboxTables outbox() {
    return outbox;
  }

  /** The access tokens table. */
  public TokenTables tokens() {
    return tokens;
  }

  /** The nodes and the outbox leases. */
  public ClusterTables cluster() {
    return cluster;
  }

  /**
   * A connection outside the pool that listens on {@link #CHANNEL}; the bus's follower owns it.
   */
  public Connection listeningConnection() throws SQLException {
    Connection c = db.dedicated();
    try (Statement s = c.createStatement()) {
      s.execute("LISTEN " + CHANNEL);
    }
    return c;
  }

  @Override
  public void close() {
    db.close();
  }
}
