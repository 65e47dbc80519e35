package io.possync.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;

/**
 * Moves a shop's state between a SQLite data directory and a cluster's PostgreSQL database, in
 * either direction ({@code possync store copy}): a box that outgrew one node becomes a cluster,
 * and a cluster can go back to one box, without the terminals noticing more than a restart.
 *
 * <p>Copied is everything a node needs to carry on: multi-sessions (their order numbers),
 * terminals (their message_IDs), orders in the order they were first written, the retained
 * notifications and their bodies, the notification counter (so that the {@code last} a terminal
 * holds stays valid and new ids continue above it), the outbox with its ids, states and attempts,
 * its pauses, and the access tokens. Not copied: a cluster's nodes and outbox leases (the new
 * nodes make their own), and the multi-sessions' revisions, which start again at 0 (absent):
 * they only order decisions among running nodes.
 *
 * <p>The copy is one transaction on the target, which must hold no state yet: a copy never merges
 * two shops' histories (ids and order numbers would collide). The source must be at rest: a
 * SQLite directory is locked as a running PosSync locks it, and a PostgreSQL database that nodes
 * are connected to is refused, because whatever they commit after the copy read would be lost.
 */
public final class StoreCopy {
  /** What marks a PostgreSQL location; anything else names a SQLite data directory. */
  public static final String POSTGRESQL_PREFIX = "jdbc:postgresql:";
  /** How the copy's own connections name themselves in {@code pg_stat_activity}. */
  static final String APPLICATION_NAME = "possync-store-copy";
  /** Rows per batch of inserts, and per fetch from PostgreSQL. */
  private static final int BATCH = 1000;
  /** How long a node that was just stopped may take to disconnect before it counts as running. */
  private static final long DISCONNECT_GRACE_MILLIS = 3_000;
  /** Stands for "in the order rows were first written" (rowid, seq) in {@link Table#orderBy}. */
  private static final String INSERTION_ORDER = "";

  private StoreCopy() {}

  /** Where state is: a SQLite data directory or a PostgreSQL database. */
  public sealed interface Location permits DataDir, Database {}

  /** A SQLite data directory (the one of {@code store.data_dir}). */
  public record DataDir(Path dir) implements Location {
    @Override
    public String toString() {
      return dir.toAbsolutePath().normalize().toString();
    }
  }

  /**
   * A PostgreSQL database, as a cluster's {@code store.url}.
   *
   * @param password null for none (peer or trust authentication, or in the URL)
   */
  public record Database(String url, String user, String password) implements Location {
    /** The URL without its query, where a password could be. */
    @Override
    public String toString() {
      return PostgresDatabase.redact(url);
    }
  }

  /**
   * The location {@code where} names: a JDBC URL starting with {@link #POSTGRESQL_PREFIX}, or
   * else the path of a data directory.
   */
  public static Location location(String where, String user, String password) {
    return where.startsWith(POSTGRESQL_PREFIX) ? new Database(where, user, password)
        : new DataDir(Path.of(where));
  }

  /**
   * What was copied.
   *
   * @param rows                rows copied per table, in copy order
   * @param notificationCounter the target's last notification id: new ids continue above it
   */
  public record Summary(Map<String, Long> rows, long notificationCounter) {}

  private record Column(String name, boolean text) {}

  /**
   * A table copied as it is. {@code orderBy} keeps the order the nodes rely on: orders and
   * terminals are listed in the order they were first written, which each dialect keeps its
   * own way; the others by key.
   */
  private record Table(String name, String orderBy, List<Column> columns) {
    String columnList() {
      return String.join(", ", columns.stream().map(Column::name).toList());
    }
  }

  private static Column text(String name) {
    return new Column(name, true);
  }

  private static Column number(String name) {
    return new Column(name, false);
  }

  private static final List<Table> TABLES = List.of(
      new Table("multi_sessions", "dbname, ms_id", List.of(text("dbname"), number("ms_id"),
          number("run_id"), number("order_id"), number("run_started_at"))),
      new Table("terminals", INSERTION_ORDER, List.of(text("dbname"), number("pos_id"),
          number("ms_id"), number("message_id"), number("user_id"))),
      new Table("orders", INSERTION_ORDER, List.of(text("dbname"), number("ms_id"), text("uid"),
          text("message"), text("nonce"), text("state"), number("revision"), number("run_id"))),
      new Table("bodies", "id", List.of(number("id"), text("before"), text("after"),
          number("created_at"))),
      new Table("notifications", "id", List.of(number("id"), text("channel"),
          number("created_at"), text("body"), number("body_id"), number("message_id"))),
      new Table("outbox", "id", List.of(number("id"), text("dbname"), text("uid"), text("kind"),
          text("pos_reference"), text("payload"), text("state"), number("attempts"),
          number("next_attempt_at"), text("last_error"), number("odoo_order_id"),
          number("created_at"), number("updated_at"))),
      new Table("outbox_pauses", "dbname", List.of(text("dbname"), text("reason"),
          text("credentials"), number("since"))),
      new Table("tokens", "hash", List.of(text("hash"), text("dbname"), number("ms_id"),
          text("label"), number("created_at"), number("revoked_at"))));

  /**
   * Copies the state of {@code from} into {@code to}, creating the target's schema (a new data
   * directory, or the tables in an empty database) if it has none.
   *
   * @return what was copied
   * @throws StoreException with a message for the operator if either side cannot be used: the
   *                        source has no PosSync state or is in use, the target already holds
   *                        state (the message says which) or is in use, or the copy failed (then
   *                        the target is left as it was)
   */
  public static Summary copy(Location from, Location to) {
    if (from.toString().equals(to.toString()) && from.getClass() == to.getClass()) {
      throw new StoreException("the source and the target are the same: " + from);
    }
    try (End source = openSource(from); End target = openTarget(to)) {
      try {
        refuseUnlessEmpty(target, to);
        Map<String, Long> rows = new LinkedHashMap<>();
        for (Table t : TABLES) {
          rows.put(t.name(), copyTable(t, source, target));
        }
        target.dialect.continueOutboxIds(target.connection, rows.get("outbox"));
        long counter = Math.max(source.dialect.counter(source.connection),
            highestNotificationId(source.connection));
        target.dialect.raiseCounter(target.connection, counter);
        long copied = target.dialect.counter(target.connection);
        target.commit();
        return new Summary(rows, copied);
      } catch (SQLException e) {
        throw new StoreException("copying " + from + " to " + to + " failed, " + to
            + " is left as it was: " + e.getMessage(), e);
      }
    }
  }

  private static void refuseUnlessEmpty(End target, Location to) throws SQLException {
    List<String> held = new ArrayList<>();
    for (Table t : TABLES) {
      try (Statement s = target.connection.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM " + t.name())) {
        rs.next();
        if (rs.getLong(1) > 0) {
          held.add(rs.getLong(1) + " " + t.name());
        }
      }
    }
    if (!held.isEmpty()) {
      throw new StoreException(to + " already holds " + String.join(", ", held)
          + "; copy only into a new data directory or an empty database (a copy never merges"
          + " two stores: ids and order numbers would collide)");
    }
  }

  private static long copyTable(Table t, End source, End target) throws SQLException {
    String columns = t.columnList();
    String orderBy = t.orderBy().equals(INSERTION_ORDER) ? source.dialect.insertionOrder
        : t.orderBy();
    String params = String.join(", ", t.columns().stream().map(c -> "?").toList());
    try (PreparedStatement select = source.connection.prepareStatement("SELECT " + columns
            + " FROM " + t.name() + " ORDER BY " + orderBy);
        PreparedStatement insert = target.connection.prepareStatement("INSERT INTO " + t.name()
            + " (" + columns + ") VALUES (" + params + ")")) {
      select.setFetchSize(BATCH);
      long count = 0;
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          for (int i = 1; i <= t.columns().size(); i++) {
            if (t.columns().get(i - 1).text()) {
              insert.setString(i, rs.getString(i));
            } else {
              long value = rs.getLong(i);
              if (rs.wasNull()) {
                insert.setNull(i, Types.BIGINT);
              } else {
                insert.setLong(i, value);
              }
            }
          }
          insert.addBatch();
          if (++count % BATCH == 0) {
            insert.executeBatch();
          }
        }
      }
      insert.executeBatch();
      return count;
    }
  }

  private static long highestNotificationId(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT coalesce(max(id), 0) FROM notifications")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // --- the two dialects ---------------------------------------------------------------------

  /** What differs between SQLite and PostgreSQL for a copy. */
  private enum Dialect {
    SQLITE("rowid", "SELECT value FROM meta WHERE key = 'last_notification_id'",
        "UPDATE meta SET value = max(value, ?) WHERE key = 'last_notification_id'"),
    POSTGRESQL("seq", "SELECT last_id FROM bus_counter WHERE id = 1",
        "UPDATE bus_counter SET last_id = greatest(last_id, ?) WHERE id = 1");

    /** The column that keeps rows in the order they were first written. */
    final String insertionOrder;
    private final String readCounter;
    private final String raiseCounter;

    Dialect(String insertionOrder, String readCounter, String raiseCounter) {
      this.insertionOrder = insertionOrder;
      this.readCounter = readCounter;
      this.raiseCounter = raiseCounter;
    }

    /** The last notification id handed out. */
    long counter(Connection c) throws SQLException {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(readCounter)) {
        if (!rs.next()) {
          throw new SQLException("the notification counter is missing");
        }
        return rs.getLong(1);
      }
    }

    /** Moves the counter to at least {@code id}: ids handed out before are never handed again. */
    void raiseCounter(Connection c, long id) throws SQLException {
      try (PreparedStatement p = c.prepareStatement(raiseCounter)) {
        p.setLong(1, id);
        p.executeUpdate();
      }
    }

    /**
     * Makes new outbox entries take ids above the copied ones. SQLite's AUTOINCREMENT does so by
     * itself when ids are given; PostgreSQL's identity sequence does not see them.
     */
    void continueOutboxIds(Connection c, long copied) throws SQLException {
      if (this == POSTGRESQL && copied > 0) {
        try (Statement s = c.createStatement()) {
          s.execute("SELECT setval(pg_get_serial_sequence('outbox', 'id'), max(id))"
              + " FROM outbox");
        }
      }
    }
  }

  // --- the two ends -------------------------------------------------------------------------

  /** One side of the copy: a connection in an open transaction. */
  private abstract static class End implements AutoCloseable {
    final Connection connection;
    final Dialect dialect;

    End(Connection connection, Dialect dialect) {
      this.connection = connection;
      this.dialect = dialect;
    }

    abstract void commit() throws SQLException;

    /** Undoes what was not committed and lets go of the database; throws nothing. */
    @Override
    public abstract void close();
  }

  /** A data directory, locked as a running PosSync locks it, in a write transaction. */
  private static final class SqliteEnd extends End {
    private final SqliteDatabase db;

    SqliteEnd(SqliteDatabase db) throws SQLException {
      super(db.writer, Dialect.SQLITE);
      this.db = db;
      // Immediate: nothing else (an operator's outbox or token command) writes meanwhile.
      db.begin();
    }

    @Override
    void commit() throws SQLException {
      db.end();
    }

    /** Undoes what was not committed (nothing, once committed) and unlocks the directory. */
    @Override
    public void close() {
      db.rollbackQuietly();
      db.close();
    }
  }

  /** A PostgreSQL database on a connection of its own, in one transaction. */
  private static final class PostgresEnd extends End {
    PostgresEnd(Connection connection) throws SQLException {
      super(connection, Dialect.POSTGRESQL);
    }

    @Override
    void commit() throws SQLException {
      connection.commit();
    }

    @Override
    public void close() {
      PostgresDatabase.rollbackQuietly(connection);
      try {
        connection.close();
      } catch (SQLException ignored) {
        // closing after the work is done or failed
      }
    }
  }

  private static End openSource(Location from) {
    if (from instanceof DataDir d) {
      if (!Files.isRegularFile(d.dir().resolve(SqliteDatabase.DB_FILE))) {
        throw new StoreException("no PosSync database in " + d + " (possync.db is missing)");
      }
      return sqlite(d);
    }
    Database db = (Database) from;
    MigrationInfoService schema = schemaOf(db);
    if (schema.current() == null) {
      throw new StoreException("no PosSync state in " + db + " (its schema was never created)");
    }
    refuseNewer(schema, db);
    if (schema.pending().length > 0) {
      throw new StoreException(db + " was written by an older PosSync; start a node of this"
          + " version on it once to upgrade it");
    }
    return postgres(db, true);
  }

  private static End openTarget(Location to) {
    if (to instanceof DataDir d) {
      return sqlite(d);
    }
    Database db = (Database) to;
    refuseNewer(schemaOf(db), db);
    try {
      flyway(db).migrate();
    } catch (FlywayException e) {
      throw new StoreException("cannot prepare " + db + ": " + e.getMessage(), e);
    }
    return postgres(db, false);
  }

  private static End sqlite(DataDir d) {
    SqliteDatabase db = SqliteDatabase.open(d.dir(), SqliteStore.SyncPolicy.POWER, 0);
    try {
      return new SqliteEnd(db);
    } catch (SQLException e) {
      db.close();
      throw new StoreException("cannot start a transaction on " + d + ": " + e.getMessage(), e);
    }
  }

  private static Flyway flyway(Database db) {
    return PostgresDatabase.flyway(Flyway.configure().dataSource(db.url(), db.user(),
        db.password()));
  }

  private static MigrationInfoService schemaOf(Database db) {
    try {
      return flyway(db).info();
    } catch (FlywayException e) {
      throw new StoreException("cannot read " + db + ": " + e.getMessage(), e);
    }
  }

  private static void refuseNewer(MigrationInfoService schema, Database db) {
    for (MigrationInfo m : schema.applied()) {
      if (m.getState().name().startsWith("FUTURE")) {
        throw new StoreException(db + " has schema version " + m.getVersion() + ", newer than"
            + " this PosSync understands; use a newer PosSync");
      }
    }
  }

  /**
   * A connection to {@code db} in a transaction: a source reads one snapshot; a target locks the
   * state tables against writers until it commits, so that it is still empty when it commits.
   */
  private static End postgres(Database db, boolean source) {
    Connection c = null;
    try {
      java.util.Properties props = PostgresDatabase.connectionProperties(APPLICATION_NAME);
      props.setProperty("user", db.user());
      if (db.password() != null) {
        props.setProperty("password", db.password());
      }
      c = DriverManager.getConnection(db.url(), props);
      refuseRunningNodes(c, db);
      c.setAutoCommit(false);
      if (source) {
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        c.setReadOnly(true);
      } else {
        try (Statement s = c.createStatement()) {
          s.execute("LOCK TABLE " + String.join(", ", TABLES.stream().map(Table::name).toList())
              + ", bus_counter IN EXCLUSIVE MODE");
        }
      }
      return new PostgresEnd(c);
    } catch (SQLException | RuntimeException e) {
      if (c != null) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // failing anyway
        }
      }
      if (e instanceof StoreException se) {
        throw se;
      }
      throw new StoreException("cannot use " + db + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses a database that running nodes are connected to (their connections carry
   * {@link PostgresStore#NODE_APPLICATION_NAME}, and so do the operator's {@code possync token}
   * and {@code possync outbox} commands): a source would go on changing after the copy read it,
   * and a target's nodes would keep decisions taken on the empty state in memory. A node that was
   * stopped a moment ago is given {@link #DISCONNECT_GRACE_MILLIS} to disconnect.
   */
  private static void refuseRunningNodes(Connection c, Database db) throws SQLException {
    long deadline = System.currentTimeMillis() + DISCONNECT_GRACE_MILLIS;
    List<String> nodes = connectedNodes(c);
    while (!nodes.isEmpty() && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(200); // pacing: pg_stat_activity has no way to wait for a change
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      nodes = connectedNodes(c);
    }
    if (!nodes.isEmpty()) {
      throw new StoreException("PosSync is connected to " + db + " (as "
          + String.join(", ", nodes) + "); stop every node of the cluster, and let the"
          + " possync commands on it finish, before copying");
    }
  }

  /** The names of the nodes connected to the database now (autocommit: a fresh view each time). */
  private static List<String> connectedNodes(Connection c) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT substr(application_name, ?)"
        + " FROM pg_stat_activity WHERE datname = current_database()"
        + " AND pid <> pg_backend_pid() AND starts_with(application_name, ?) ORDER BY 1")) {
      p.setInt(1, PostgresStore.NODE_APPLICATION_NAME.length() + 1);
      p.setString(2, PostgresStore.NODE_APPLICATION_NAME);
      List<String> names = new ArrayList<>();
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      return names;
    }
  }
}
