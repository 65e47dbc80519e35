package io.possync.testing;

import io.possync.app.PosSync;
import io.possync.config.Settings;
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
 * a new one on the same port and data directory, as an operator's restart would.
 */
public final class TestNode implements AutoCloseable {
  private final Map<String, String> values;
  private final Path dataDir;
  private final boolean ownsDataDir;
  private final Clock clock;
  private PosSync node;

  private TestNode(Map<String, String> overrides, Clock clock) throws Exception {
    this.clock = clock;
    values = new HashMap<>();
    values.put("http.host", "127.0.0.1");
    values.put("http.port", "0");
    values.put("poll.timeout", "2");
    // Tests hammer one node from one address; the rate limit has its own test.
    values.put("limits.requests_per_second", "0");
    values.putAll(overrides);
    if (values.containsKey("store.data_dir")) {
      dataDir = Path.of(values.get("store.data_dir"));
      ownsDataDir = false;
    } else {
      dataDir = Files.createTempDirectory("possync-test-");
      values.put("store.data_dir", dataDir.toString());
      ownsDataDir = true;
    }
    node = new PosSync(Settings.load(null, Map.of(), values), clock).start();
    values.put("http.port", Integer.toString(node.port())); // a restart keeps the address
  }

  /** Starts a node with the given setting overrides (keys as in conf/possync.properties). */
  public static TestNode start(Map<String, String> overrides) throws Exception {
    return new TestNode(overrides, Clock.systemUTC());
  }

  /** Starts a node whose retention and timers read the given clock. */
  public static TestNode start(Map<String, String> overrides, Clock clock) throws Exception {
    return new TestNode(overrides, clock);
  }

  public static TestNode start() throws Exception {
    return start(Map.of());
  }

  /** Stops the node (what is queued is committed) and starts it again on the same port and data. */
  public void restart() throws Exception {
    node.close();
    node = new PosSync(Settings.load(null, Map.of(), values), clock).start();
  }

  /** What a POS would have as {@code sync_server}: scheme, host, port and path prefix. */
  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + node.port()
        + Settings.load(null, Map.of(), values).pathPrefix());
  }

  public int port() {
    return node.port();
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
