package io.possync.testing;

import io.possync.app.PosSync;
import io.possync.config.Settings;
import io.possync.http.AccessTokens;
import io.possync.odoo.XmlRpcOdooClient;
import io.possync.store.TokenTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real PosSync node on a real loopback socket (port chosen by the OS) with a real SQLite store
 * in a temporary data directory, for tests. Settings not given keep their defaults, except a short
 * poll timeout so that idle polls come back quickly. {@link #restart()} stops the node and starts
 * a new one on the same port and data directory, as an operator's restart would. Started with
 * {@link #startHttps}, the node also listens on HTTPS on a port chosen by the OS.
 */
public final class TestNode implements AutoCloseable {
  private final Map<String, String> values;
  private final Path dataDir;
  private final boolean ownsDataDir;
  private final Clock clock;
  private final Map<String, String> env;
  private final boolean https;
  /** 0 until the first start has bound the HTTPS port; a restart keeps it. */
  private int tlsPort;
  private PosSync node;

  private TestNode(Map<String, String> overrides, Clock clock, Map<String, String> env,
      boolean https) throws Exception {
    this.clock = clock;
    this.env = env;
    this.https = https;
    values = new HashMap<>();
    values.put("http.host", "127.0.0.1");
    values.put("http.port", "0");
    values.put("poll.timeout", "2");
    values.put("admin.port", "0"); // nodes of parallel tests must not meet on the default port
    // Tests hammer one node from one address; the rate limit has its own test.
    values.put("limits.requests_per_second", "0");
    // Tests stop nodes by the hundred; the drain phase has tests of its own.
    values.put("http.drain", "0");
    values.putAll(overrides);
    if (values.containsKey("store.data_dir")) {
      dataDir = Path.of(values.get("store.data_dir"));
      ownsDataDir = false;
    } else {
      dataDir = Files.createTempDirectory("possync-test-");
      values.put("store.data_dir", dataDir.toString());
      ownsDataDir = true;
    }
    try {
      node = newNode().start();
    } catch (Exception | Error e) {
      deleteDataDir(); // a node that failed to start (as tests of bad settings expect) leaves none
      throw e;
    }
    values.put("http.port", Integer.toString(node.port())); // a restart keeps the address
    tlsPort = node.tlsPort();
    values.put("admin.port", Integer.toString(node.adminPort()));
  }

  private PosSync newNode() {
    Settings settings = Settings.load(null, Map.of(), values);
    return new PosSync(https ? settings.withTlsPort(tlsPort) : settings, clock, env,
        XmlRpcOdooClient::new);
  }

  /** Starts a node with the given setting overrides (keys as in conf/possync.properties). */
  public static TestNode start(Map<String, String> overrides) throws Exception {
    return new TestNode(overrides, Clock.systemUTC(), System.getenv(), false);
  }

  /**
   * Starts a node whose retention and timers read the given clock, with the given environment
   * (where {@code store.password_env} and {@code odoo.<name>.password_env} are looked up).
   */
  public static TestNode start(Map<String, String> overrides, Clock clock,
      Map<String, String> env) throws Exception {
    return new TestNode(overrides, clock, env, false);
  }

  /** Starts a node whose retention and timers read the given clock. */
  public static TestNode start(Map<String, String> overrides, Clock clock) throws Exception {
    return new TestNode(overrides, clock, System.getenv(), false);
  }

  /**
   * Starts a node with an HTTPS listener as well, on a port chosen by the OS ({@link #tlsPort()}).
   * The overrides name the certificate ({@code tls.keystore_file} or {@code tls.cert_file}...).
   *
   * @param env where {@code tls.keystore_password_env} is looked up
   */
  public static TestNode startHttps(Map<String, String> overrides, Map<String, String> env)
      throws Exception {
    return new TestNode(overrides, Clock.systemUTC(), env, true);
  }

  public static TestNode start() throws Exception {
    return start(Map.of());
  }

  /** Stops the node (what is queued is committed) and starts it again on the same port and data. */
  public void restart() throws Exception {
    node.close();
    node = newNode().start();
  }

  /** What a POS would have as {@code sync_server}: scheme, host, port and path prefix. */
  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + node.port()
        + Settings.load(null, Map.of(), values).http().pathPrefix());
  }

  /** {@link #baseUri()} over HTTPS, by the given host name or address (as in the certificate). */
  public URI httpsUri(String host) {
    return URI.create("https://" + host + ":" + node.tlsPort()
        + Settings.load(null, Map.of(), values).http().pathPrefix());
  }

  public int port() {
    return node.port();
  }

  /** The HTTPS port, or 0 for a node without an HTTPS listener. */
  public int tlsPort() {
    return node.tlsPort();
  }

  /** The admin listener's address (status page, /api/status, /metrics, health). */
  public URI adminUri() {
    return URI.create("http://127.0.0.1:" + node.adminPort());
  }

  /**
   * Issues an access token for one multi-session, as {@code possync token create} does, and
   * returns its secret (the path segment after {@code /t/}).
   */
  public String issueToken(String dbname, long multiSessionId) {
    String secret = AccessTokens.newSecret();
    try (TokenTables admin = TokenTables.open(dataDir())) {
      admin.create(AccessTokens.hash(secret), dbname, multiSessionId, "test",
          System.currentTimeMillis());
    }
    return secret;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The running node, for white-box checks (held polls, multi-session status, bus GC). */
  public PosSync node() {
    return node;
  }

  @Override
  public void close() throws Exception {
    node.close();
    deleteDataDir();
  }

  private void deleteDataDir() throws IOException {
    if (ownsDataDir) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> {
          try {
            Files.delete(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
    }
  }
}
