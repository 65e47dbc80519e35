package io.possync.testing;

import com.sun.security.auth.module.UnixSystem;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, from Debian's {@code postgresql} package, so that tests of
 * cluster mode need nothing running beforehand. {@code initdb} makes a fresh cluster in a
 * temporary directory; the server listens only on 127.0.0.1, on a TCP port chosen at the first
 * start, and puts its unix socket in that directory. Settings are PostgreSQL's defaults (fsync on)
 * except {@code max_connections=300} and {@code shared_buffers=64MB}. PostgreSQL's output goes to
 * {@code postgres.log} in the directory.
 *
 * <p>PostgreSQL refuses to run as root: when the JVM runs as uid 0 the binaries run as the
 * {@code postgres} user through {@code runuser}, and the directory belongs to that user.
 *
 * <p>{@link #shared()} gives one server per test JVM, removed when the JVM exits. Each test takes a
 * database of its own with {@link #createDatabase}.
 */
public final class PostgresServer {
  /** Password of the login role {@link #user()}, owner of the databases tests create. */
  public static final String PASSWORD = "possync-test-password";
  private static final String USER = "possync";
  private static final String SUPERUSER = "postgres";
  private static final String SUPERUSER_PASSWORD = "possync-test-superuser";
  /** The account PostgreSQL runs as when the JVM is root (Debian's package creates it). */
  private static final String OS_USER = "postgres";
  private static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");
  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,39}");
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final int PORT_ATTEMPTS = 5;
  private static final int LOG_TAIL_LINES = 40;

  private static PostgresServer shared;

  private final Path bin;
  private final Path dir;
  private final Path dataDir;
  private final Path log;
  private final boolean asOsUser;
  private final AtomicLong databases = new AtomicLong();
  private final SecureRandom random = new SecureRandom();
  private int port;
  private boolean roleCreated;

  private PostgresServer(Path bin, Path dir, boolean asOsUser) {
    this.bin = bin;
    this.dir = dir;
    this.dataDir = dir.resolve("data");
    this.log = dir.resolve("postgres.log");
    this.asOsUser = asOsUser;
  }

  /**
   * The server of this test JVM, made and started at the first call; a shutdown hook stops it
   * ({@code pg_ctl stop -m immediate}) and deletes its directory when the JVM exits.
   *
   * @throws IllegalStateException if PostgreSQL is not installed or does not start
   */
  public static synchronized PostgresServer shared() {
    if (shared == null) {
      PostgresServer server = launch();
      Runtime.getRuntime().addShutdownHook(new Thread(server::destroy, "postgres-test-stop"));
      shared = server;
    }
    return shared;
  }

  private static PostgresServer launch() {
    Path bin = findBinaries();
    boolean root = new UnixSystem().getUid() == 0;
    Path dir;
    try {
      dir = Files.createTempDirectory("possync-pg-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PostgresServer server = new PostgresServer(bin, dir, root);
    try {
      server.initialize();
      server.firstStart();
      return server;
    } catch (RuntimeException | Error e) {
      server.destroy();
      throw e;
    }
  }

  /**
   * Debian's server binaries: {@code pg_config --bindir}, else the highest version under
   * {@code /usr/lib/postgresql/<version>/bin}, else the directory {@code POSSYNC_PG_BIN} names.
   */
  static Path findBinaries() {
    return findBinaries(pgConfigBindir(), DEBIAN_VERSIONS, System.getenv("POSSYNC_PG_BIN"));
  }

  /** {@link #findBinaries()} over the given places, in that order; the first complete one. */
  static Path findBinaries(Optional<Path> pgConfigBindir, Path debianVersions, String env) {
    List<Path> candidates = new ArrayList<>();
    pgConfigBindir.ifPresent(candidates::add);
    if (Files.isDirectory(debianVersions)) {
      try (Stream<Path> versions = Files.list(debianVersions)) {
        versions.filter(p -> p.getFileName().toString().matches("\\d+(\\.\\d+)?"))
            .sorted(Comparator.comparingDouble(
                (Path p) -> Double.parseDouble(p.getFileName().toString())).reversed())
            .map(p -> p.resolve("bin"))
            .forEach(candidates::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    return candidates.stream().filter(PostgresServer::hasServerBinaries).findFirst()
        .orElseThrow(() -> new IllegalStateException("No PostgreSQL server binaries (initdb,"
            + " pg_ctl, postgres) found by pg_config --bindir, under " + debianVersions
            + "/*/bin or in POSSYNC_PG_BIN: the tests start their own PostgreSQL server and need"
            + " Debian's postgresql package (apt-get install postgresql); nothing needs to be"
            + " running"));
  }

  private static Optional<Path> pgConfigBindir() {
    try {
      Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty()) {
        return Optional.of(Path.of(out));
      }
      p.destroyForcibly();
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // no pg_config on the PATH
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static boolean hasServerBinaries(Path dir) {
    return Stream.of("initdb", "pg_ctl", "postgres")
        .allMatch(name -> Files.isExecutable(dir.resolve(name)));
  }

  /** Makes the cluster: initdb with a password for the superuser, then this server's settings. */
  private void initialize() {
    Path pwfile = dir.resolve("superuser.pw");
    try {
      Files.writeString(log, "");
      Files.writeString(pwfile, SUPERUSER_PASSWORD + "\n");
      if (asOsUser) {
        giveToOsUser(dir);
        giveToOsUser(log);
        giveToOsUser(pwfile);
        if (run(List.of("test", "-w", dir.toString()), false) != 0) {
          throw new IllegalStateException("User " + OS_USER + " cannot write to " + dir
              + ": every directory above it must be traversable (set java.io.tmpdir elsewhere)");
        }
      }
      int exit = run(List.of(bin.resolve("initdb").toString(), "-D", dataDir.toString(),
          "-U", SUPERUSER, "--pwfile=" + pwfile, "--auth-local=trust",
          "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C"), true);
      if (exit != 0) {
        throw new IllegalStateException("initdb failed (exit " + exit + "); " + logTail());
      }
      Files.delete(pwfile);
      String socketDir = dir.toString().replace("'", "''");
      Files.writeString(dataDir.resolve("postgresql.conf"), String.join("\n",
          "", "# PosSync's test server (io.possync.testing.PostgresServer); port given by pg_ctl",
          "listen_addresses = '127.0.0.1'",
          "unix_socket_directories = '" + socketDir + "'",
          "max_connections = 300",
          "shared_buffers = 64MB",
          "fsync = on",
          ""), StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first start, on a port free a moment ago: if another process took it since, another. */
  private void firstStart() {
    for (int attempt = 1; ; attempt++) {
      port = freePort();
      try {
        start();
        return;
      } catch (IllegalStateException e) {
        if (attempt >= PORT_ATTEMPTS || !logTail().contains("could not bind")) {
          throw e;
        }
      }
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts the server ({@code pg_ctl -w start}) on its port and data directory and waits until it
   * accepts connections; after {@link #stop()}, the same databases are back.
   *
   * @throws IllegalStateException if it does not start; the message ends with the log's tail
   */
  public synchronized void start() {
    int exit = pgCtl("-l", log.toString(), "-o", "-p " + port, "-t", "60", "start");
    if (exit != 0) {
      throw new IllegalStateException("PostgreSQL did not start on 127.0.0.1:" + port
          + " (pg_ctl exit " + exit + "); " + logTail());
    }
  }

  /**
   * Stops the server ({@code pg_ctl stop -m fast}: connections are cut, nothing is lost) and waits
   * until it has exited, so that connection attempts fail until {@link #start()}.
   */
  public synchronized void stop() {
    int exit = pgCtl("-m", "fast", "-t", "60", "stop");
    if (exit != 0) {
      throw new IllegalStateException("pg_ctl stop failed (exit " + exit + "); " + logTail());
    }
  }

  /** Whether the server runs ({@code pg_ctl status}). */
  public synchronized boolean running() {
    return run(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "status"),
        false) == 0;
  }

  private int pgCtl(String... args) {
    List<String> cmd = new ArrayList<>(
        List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-w"));
    cmd.addAll(List.of(args));
    return run(cmd, true);
  }

  /** Stops the server at once and deletes its directory; never throws: a shutdown hook calls it. */
  private synchronized void destroy() {
    try {
      if (Files.exists(dataDir.resolve("postmaster.pid"))) {
        pgCtl("-m", "immediate", "stop");
      }
    } catch (RuntimeException e) {
      System.err.println("Could not stop the test PostgreSQL in " + dir + ": " + e);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    } catch (IOException e) {
      System.err.println("Could not delete " + dir + ": " + e);
    }
  }

  /**
   * Creates an empty database owned by {@link #user()}, named {@code prefix}, a counter and a
   * random part, so that no two tests (nor two runs) share one.
   *
   * @param prefix lower-case letters, digits and underscores, starting with a letter
   * @return its JDBC URL, {@code jdbc:postgresql://127.0.0.1:<port>/<name>}
   */
  public String createDatabase(String prefix) {
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("Database prefix must match " + PREFIX + ": " + prefix);
    }
    String name = prefix + "_" + databases.incrementAndGet() + "_"
        + Integer.toHexString(random.nextInt() & 0x7fffffff);
    try (Connection c = DriverManager.getConnection(superuserUrl());
        Statement s = c.createStatement()) {
      createRole(c);
      s.execute("CREATE DATABASE \"" + name + "\" OWNER " + USER);
    } catch (SQLException e) {
      throw new IllegalStateException("Could not create database " + name + ": " + e, e);
    }
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
  }

  private synchronized void createRole(Connection c) throws SQLException {
    if (roleCreated) {
      return;
    }
    try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
      q.setString(1, USER);
      try (ResultSet r = q.executeQuery(); Statement s = c.createStatement()) {
        if (!r.next()) {
          s.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
        }
      }
    }
    roleCreated = true;
  }

  /** The login role that owns the databases {@link #createDatabase} makes. */
  public String user() {
    return USER;
  }

  /** The password of {@link #user()}: {@link #PASSWORD}. */
  public String password() {
    return PASSWORD;
  }

  /** The TCP port on 127.0.0.1, the same across {@link #stop()} and {@link #start()}. */
  public synchronized int port() {
    return port;
  }

  /**
   * The JDBC URL of the {@code postgres} database as the superuser, user and password included,
   * for what a test needs beyond its own database ({@code DriverManager.getConnection(url)}).
   */
  public String superuserUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres?user=" + SUPERUSER + "&password="
        + SUPERUSER_PASSWORD;
  }

  /**
   * Runs a command, as {@link #OS_USER} when the JVM is root, in the server's directory.
   *
   * @param logged whether its output goes to the log (else it is discarded)
   * @return its exit code
   */
  private int run(List<String> command, boolean logged) {
    List<String> cmd = new ArrayList<>();
    if (asOsUser) {
      cmd.addAll(List.of("runuser", "-u", OS_USER, "--"));
    }
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(logged ? ProcessBuilder.Redirect.appendTo(log.toFile())
            : ProcessBuilder.Redirect.DISCARD);
    try {
      Process p = pb.start();
      if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + " did not end within " + TIMEOUT
            + "; " + logTail());
      }
      return p.exitValue();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not run " + String.join(" ", cmd), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted running " + String.join(" ", cmd), e);
    }
  }

  private static void giveToOsUser(Path path) throws IOException {
    UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
    PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
    view.setOwner(users.lookupPrincipalByName(OS_USER));
    GroupPrincipal group = users.lookupPrincipalByGroupName(OS_USER);
    view.setGroup(group);
  }

  private String logTail() {
    try {
      List<String> lines = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines()
          .toList();
      return "last lines of " + log + ":\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES),
              lines.size()));
    } catch (IOException e) {
      return "no log (" + e + ")";
    }
  }
}
