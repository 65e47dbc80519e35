package io.possync.testing;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * PosSync run as a separate process, the way {@code scripts/possync serve} runs it, so that tests
 * can kill it with SIGKILL at any moment and start it again on the same port and data.
 */
public final class ServerProcess implements AutoCloseable {
  /**
   * The variable a {@link #clusterNode} reads its database password from. Not
   * {@link TestCluster#PASSWORD_ENV}: {@code serve} warns about any {@code POSSYNC_} variable
   * that names no setting.
   */
  public static final String CLUSTER_PASSWORD_ENV = "TEST_PG_PASSWORD";

  private final int port;
  private final Path dataDir;
  private final List<String> extraArgs;
  private final Map<String, String> settings = new HashMap<>();
  private final List<String> jvmOptions = new ArrayList<>();
  private boolean serialFilterOption = true;
  /** Variables added to the process's environment (e.g. the one a password is read from). */
  private final Map<String, String> environment = new HashMap<>();
  /** How long {@link #start} waits for the first answered PING. */
  private Duration startTimeout = Duration.ofSeconds(30);
  private Process process;

  /**
   * @param extraArgs further {@code serve} arguments, e.g. {@code --config FILE}
   */
  public ServerProcess(int port, Path dataDir, List<String> extraArgs) {
    this.port = port;
    this.dataDir = dataDir;
    this.extraArgs = List.copyOf(extraArgs);
  }

  /**
   * Starts Java without {@code -Djdk.serialFilter=!*}, as a unit file or a container would: the
   * program must switch deserialization off itself.
   */
  public ServerProcess withoutSerialFilterOption() {
    serialFilterOption = false;
    return this;
  }

  /**
   * Settings written to a properties file in the data directory at each start and passed with
   * {@code --config}, as an operator's {@code possync.properties} would be. The flags this class
   * passes (host, port, data directory, poll timeout) still win over them.
   */
  public ServerProcess withSettings(Map<String, String> values) {
    settings.putAll(values);
    return this;
  }

  /** Further options of the JVM, e.g. ones that make a start cheaper for tests that restart. */
  public ServerProcess withJvmOptions(List<String> options) {
    jvmOptions.addAll(options);
    return this;
  }

  /**
   * Adds a variable to the environment the process starts with, e.g. the one
   * {@code store.password_env} names: a secret a test must not put on the command line.
   */
  public ServerProcess withEnvironment(String name, String value) {
    environment.put(name, value);
    return this;
  }

  /**
   * A node of a cluster on the database at {@code jdbcUrl} of {@link PostgresServer#shared()},
   * named {@code nodeName}: the settings {@link TestCluster#settings} gives an in-process node,
   * the password in the environment variable {@link #CLUSTER_PASSWORD_ENV}.
   */
  public static ServerProcess clusterNode(int port, Path dataDir, String jdbcUrl,
      String nodeName) {
    PostgresServer pg = PostgresServer.shared();
    return new ServerProcess(port, dataDir, List.of())
        .withSettings(Map.of("store.kind", "postgresql", "store.url", jdbcUrl,
            "store.user", pg.user(), "store.password_env", CLUSTER_PASSWORD_ENV,
            "store.pool_size", "4", "cluster.node_name", nodeName))
        .withEnvironment(CLUSTER_PASSWORD_ENV, pg.password())
        // Cluster tests restart nodes many times: C1 alone and the serial collector start a JVM
        // with much less CPU, which a busy test machine lacks.
        .withJvmOptions(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
  }

  /**
   * Waits up to {@code timeout} for the process to answer, instead of 30 s: for several nodes
   * started at once on a busy host, each a cold JVM connecting to PostgreSQL.
   */
  public ServerProcess withStartTimeout(Duration timeout) {
    startTimeout = timeout;
    return this;
  }

  /** A port nothing listens on right now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Starts the process and waits until it answers a PING. */
  public ServerProcess start() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m"));
    cmd.addAll(jvmOptions);
    if (serialFilterOption) {
      cmd.add("-Djdk.serialFilter=!*");
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.possync.app.Main", "serve",
        "--host", "127.0.0.1", "--port", Integer.toString(port),
        "--data-dir", dataDir.toString(), "--poll-timeout", "2"));
    if (!settings.isEmpty()) {
      cmd.addAll(List.of("--config", writeSettings().toString()));
    }
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("POSSYNC_CONFIG");
    pb.environment().put("POSSYNC_ADMIN_PORT", "0"); // never the default port a real node may hold
    pb.environment().putAll(environment);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("server.log").toFile()));
    process = pb.start();
    RpcClient rpc = new RpcClient(baseUri(),
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build());
    // Polled, not slept on: the first PING that is answered ends the wait.
    Awaitility.await().atMost(startTimeout).pollInterval(Duration.ofMillis(50))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("PosSync exited with " + process.exitValue()
                + "; see " + dataDir.resolve("server.log"));
          }
          rpc.call("/pos_longpolling/update",
              JsonParser.parseString("{\"message\":\"PING\",\"pos_id\":98,\"db_name\":\"probe\"}"));
          return true;
        });
    return this;
  }

  private Path writeSettings() throws IOException {
    Properties file = new Properties();
    file.putAll(settings);
    Path path = dataDir.resolve("possync.properties");
    try (OutputStream out = Files.newOutputStream(path)) {
      file.store(out, "written by ServerProcess for a test");
    }
    return path;
  }

  /** SIGKILL: no shutdown hook, no flush, as a crash or a power cut of the process. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      kill();
    }
  }
}
