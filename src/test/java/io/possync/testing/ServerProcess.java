package io.possync.testing;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * PosSync run as a separate process, the way {@code scripts/possync serve} runs it, so that tests
 * can kill it with SIGKILL at any moment and start it again on the same port and data.
 */
public final class ServerProcess implements AutoCloseable {
  private final int port;
  private final Path dataDir;
  private final List<String> extraArgs;
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
   * Adds a variable to the environment the process starts with, e.g. the one
   * {@code store.password_env} names: a secret a test must not put on the command line.
   */
  public ServerProcess withEnvironment(String name, String value) {
    environment.put(name, value);
    return this;
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
    if (serialFilterOption) {
      cmd.add("-Djdk.serialFilter=!*");
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.possync.app.Main", "serve",
        "--host", "127.0.0.1", "--port", Integer.toString(port),
        "--data-dir", dataDir.toString(), "--poll-timeout", "2"));
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
