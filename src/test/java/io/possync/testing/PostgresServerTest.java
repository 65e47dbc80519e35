package io.possync.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** The test PostgreSQL server: reachable over pgJDBC, one database per test, stoppable. */
class PostgresServerTest {
  private final PostgresServer pg = PostgresServer.shared();

  @TempDir
  Path tmp;

  private Connection connect(String url) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", pg.user());
    p.setProperty("password", pg.password());
    p.setProperty("connectTimeout", "5");
    p.setProperty("socketTimeout", "30");
    return DriverManager.getConnection(url, p);
  }

  private static Object queryOne(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      assertThat(r.next()).as("a row from %s", sql).isTrue();
      return r.getObject(1);
    }
  }

  @Test
  void aCreatedDatabaseAnswersOverTcpWithTheRolesPassword() throws Exception {
    String url = pg.createDatabase("select");

    assertThat(url).startsWith("jdbc:postgresql://127.0.0.1:" + pg.port() + "/select_");
    try (Connection c = connect(url)) {
      assertThat(queryOne(c, "SELECT 1")).isEqualTo(1);
      assertThat(queryOne(c, "SELECT current_user")).isEqualTo("possync");
      assertThat(queryOne(c, "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database"
          + " WHERE datname = current_database()")).isEqualTo("possync");
      assertThat(queryOne(c, "SHOW max_connections")).isEqualTo("300");
      assertThat(queryOne(c, "SHOW fsync")).isEqualTo("on");
      assertThat(queryOne(c, "SELECT inet_server_addr()::text")).isEqualTo("127.0.0.1/32");
    }
    Properties wrong = new Properties();
    wrong.setProperty("user", pg.user());
    wrong.setProperty("password", "not-" + pg.password());
    assertThatThrownBy(() -> DriverManager.getConnection(url, wrong).close())
        .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
  }

  @Test
  void twoDatabasesAreSeparate() throws Exception {
    String first = pg.createDatabase("separate");
    String second = pg.createDatabase("separate");

    assertThat(first).isNotEqualTo(second);
    try (Connection a = connect(first); Connection b = connect(second)) {
      try (Statement s = a.createStatement()) {
        s.execute("CREATE TABLE only_here (id int PRIMARY KEY)");
        s.execute("INSERT INTO only_here VALUES (7)");
      }
      assertThat(queryOne(a, "SELECT count(*) FROM only_here")).isEqualTo(1L);
      assertThat(queryOne(b, "SELECT to_regclass('only_here') IS NULL")).isEqualTo(true);
      assertThat(queryOne(a, "SELECT current_database()"))
          .isNotEqualTo(queryOne(b, "SELECT current_database()"));
    }
  }

  @Test
  void stopCutsTheServerAndStartBringsItBackWithItsData() throws Exception {
    String url = pg.createDatabase("restart");
    int port = pg.port();
    try (Connection c = connect(url); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE kept (v text)");
      s.execute("INSERT INTO kept VALUES ('before the stop')");
    }
    assertThat(pg.running()).isTrue();

    pg.stop();
    try {
      assertThat(pg.running()).isFalse();
      assertThatThrownBy(() -> connect(url).close()).isInstanceOf(SQLException.class);
    } finally {
      pg.start(); // the shared server must be back for the tests after this one
    }

    assertThat(pg.running()).isTrue();
    assertThat(pg.port()).isEqualTo(port);
    try (Connection c = connect(url)) {
      assertThat(queryOne(c, "SELECT v FROM kept")).isEqualTo("before the stop");
    }
  }

  @Test
  void notifyReachesAListenerOnAnotherConnection() throws Exception {
    String url = pg.createDatabase("notify");
    try (Connection listener = connect(url); Connection sender = connect(url)) {
      try (Statement s = listener.createStatement()) {
        s.execute("LISTEN possync_changes");
      }
      try (Statement s = sender.createStatement()) {
        s.execute("NOTIFY possync_changes, 'multi-session 42'");
      }

      PGNotification[] got = listener.unwrap(PGConnection.class).getNotifications(10_000);

      assertThat(got).isNotNull().hasSize(1);
      assertThat(got[0].getName()).isEqualTo("possync_changes");
      assertThat(got[0].getParameter()).isEqualTo("multi-session 42");
      assertThat(got[0].getPID()).isNotEqualTo(listener.unwrap(PGConnection.class).getBackendPID());
    }
  }

  /** A directory with executable initdb, pg_ctl and postgres (empty scripts) in it. */
  private static Path fakeBin(Path dir) throws Exception {
    Files.createDirectories(dir);
    for (String name : new String[] {"initdb", "pg_ctl", "postgres"}) {
      Files.createFile(dir.resolve(name),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }
    return dir;
  }

  @Test
  void binariesComeFromPgConfigThenTheHighestDebianVersionThenTheEnvironment() throws Exception {
    Path versions = tmp.resolve("versions");
    fakeBin(versions.resolve("9.6/bin"));
    Path v16 = fakeBin(versions.resolve("16/bin"));
    fakeBin(versions.resolve("15/bin"));
    Files.createDirectories(versions.resolve("17/bin")); // a version without its server package
    Path fromConfig = fakeBin(tmp.resolve("config/bin"));
    Path fromEnv = fakeBin(tmp.resolve("env/bin"));

    assertThat(PostgresServer.findBinaries(Optional.of(fromConfig), versions, fromEnv.toString()))
        .isEqualTo(fromConfig);
    assertThat(PostgresServer.findBinaries(Optional.of(tmp.resolve("libpq-only")), versions,
        fromEnv.toString())).isEqualTo(v16);
    assertThat(PostgresServer.findBinaries(Optional.empty(), tmp.resolve("none"),
        fromEnv.toString())).isEqualTo(fromEnv);
  }

  @Test
  void withoutPostgresqlTheFailureSaysWhatToInstall() {
    assertThatThrownBy(() -> PostgresServer.findBinaries(Optional.empty(), tmp.resolve("none"),
        null)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Debian's postgresql package (apt-get install postgresql)");
  }
}
