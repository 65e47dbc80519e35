package io.possync.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * A cluster's PostgreSQL database: a pool of connections (HikariCP) and the schema, created and
 * migrated at start by Flyway (src/main/resources/db/possync/postgresql). Several nodes starting
 * at once migrate once: Flyway serializes them with a PostgreSQL advisory lock.
 */
final class PostgresDatabase implements SqlDatabase {
  /** Where the migrations are; their versions are the PostgreSQL schema's. */
  static final String MIGRATIONS = "classpath:db/possync/postgresql";
  /** Flyway's own table, named so that it cannot meet another tool's in the same database. */
  static final String HISTORY_TABLE = "possync_schema_history";
  /**
   * How long a starting node waits for its first connection, longer than a request's 2 s: a JVM
   * just started opens it slowly (classes to load, SCRAM's key derivation not yet compiled), all
   * the more when several nodes start at once on a busy host.
   */
  private static final long FIRST_CONNECTION_NANOS = 15_000_000_000L;

  private final HikariDataSource pool;
  private final String url;

  private PostgresDatabase(HikariDataSource pool, String url) {
    this.pool = pool;
    this.url = url;
  }

  /**
   * Connects and migrates the schema.
   *
   * @param password null for none (peer or trust authentication)
   * @throws StoreException with a message for the operator if the database cannot be reached or
   *                        its schema is newer or damaged
   */
  static PostgresDatabase open(String url, String user, String password, int poolSize,
      String applicationName) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    if (password != null) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(Math.min(2, poolSize));
    config.setPoolName("possync-pg");
    // A request waits this long for a connection when PostgreSQL is away, then is refused with
    // the store-unavailable error, instead of hanging for Hikari's default 30 s.
    config.setConnectionTimeout(2_000);
    config.setValidationTimeout(1_000);
    // Start even if PostgreSQL is down for a moment: the migration below says why it failed.
    config.setInitializationFailTimeout(-1);
    config.setDataSourceProperties(connectionProperties(applicationName));
    HikariDataSource pool = new HikariDataSource(config);
    awaitFirstConnection(pool);
    try {
      flyway(Flyway.configure().dataSource(pool)).migrate();
    } catch (FlywayException e) {
      pool.close();
      throw new StoreException("cannot prepare the PostgreSQL database " + redact(url) + ": "
          + rootMessage(e), e);
    }
    return new PostgresDatabase(pool, url);
  }

  /**
   * Waits until the pool has made a connection, while the attempts fail only for being slow or
   * unable to connect yet; a refusal (password, missing database) or the end of the wait leaves
   * it to the migration to fail and say why.
   */
  private static void awaitFirstConnection(HikariDataSource pool) {
    long deadline = System.nanoTime() + FIRST_CONNECTION_NANOS;
    while (System.nanoTime() < deadline) {
      try (Connection c = pool.getConnection()) {
        return;
      } catch (SQLException e) {
        String state = e.getCause() instanceof SQLException cause ? cause.getSQLState() : null;
        if (state != null && !state.startsWith("08")) {
          return;
        }
      }
    }
  }

  /**
   * The properties of every connection PosSync makes: pgJDBC's defaults wait forever on a silent
   * network (the URL may set its own values), and {@code ApplicationName} tells in
   * {@code pg_stat_activity} who is connected.
   */
  static java.util.Properties connectionProperties(String applicationName) {
    java.util.Properties props = new java.util.Properties();
    props.setProperty("connectTimeout", "5");
    props.setProperty("socketTimeout", "60");
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("ApplicationName", applicationName);
    return props;
  }

  /** Flyway on PosSync's migrations and history table, on the data source already configured. */
  static Flyway flyway(org.flywaydb.core.api.configuration.FluentConfiguration configured) {
    return configured.locations(MIGRATIONS).table(HISTORY_TABLE).baselineOnMigrate(false).load();
  }

  /** A connection from the pool, in autocommit mode. */
  Connection connection() throws SQLException {
    return pool.getConnection();
  }

  @Override
  public <T> T read(String failure, Sql<T> sql) {
    try (Connection c = pool.getConnection()) {
      return sql.run(c);
    } catch (SQLException e) {
      throw new StoreException(failure + ": " + e.getMessage(), e);
    }
  }

  @Override
  public <T> T write(String failure, Sql<T> sql) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = sql.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new StoreException(failure + ": " + e.getMessage(), e);
    }
  }

  static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is broken: the pool drops it
    }
  }

  /** The JDBC URL, for messages and the listening connection. */
  String url() {
    return url;
  }

  /** A connection of its own, outside the pool (the bus's LISTEN connection). */
  Connection dedicated() throws SQLException {
    java.util.Properties props = new java.util.Properties();
    pool.getDataSourceProperties().forEach(props::put);
    props.setProperty("user", pool.getUsername());
    if (pool.getPassword() != null) {
      props.setProperty("password", pool.getPassword());
    }
    return java.sql.DriverManager.getConnection(url, props);
  }

  @Override
  public void close() {
    pool.close();
  }

  /** The URL without its query, where a password could be. */
  static String redact(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q) + "?…";
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
