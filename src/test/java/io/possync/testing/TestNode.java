package io.possync.testing;

import io.possync.app.PosSync;
import io.possync.config.Settings;
import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * A real PosSync node on a real loopback socket (port chosen by the OS) for tests. Settings not
 * given keep their defaults, except a short poll timeout so that idle polls come back quickly.
 */
public final class TestNode implements AutoCloseable {
  private final PosSync node;
  private final String pathPrefix;

  private TestNode(Map<String, String> overrides) throws Exception {
    Map<String, String> values = new HashMap<>();
    values.put("http.host", "127.0.0.1");
    values.put("http.port", "0");
    values.put("poll.timeout", "2");
    values.putAll(overrides);
    Settings settings = Settings.load(null, Map.of(), values);
    this.pathPrefix = settings.pathPrefix();
    this.node = new PosSync(settings, Clock.systemUTC()).start();
  }

  /** Starts a node with the given setting overrides (keys as in conf/possync.properties). */
  public static TestNode start(Map<String, String> overrides) throws Exception {
    return new TestNode(overrides);
  }

  public static TestNode start() throws Exception {
    return start(Map.of());
  }

  /** What a POS would have as {@code sync_server}: scheme, host, port and path prefix. */
  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + node.port() + pathPrefix);
  }

  public int port() {
    return node.port();
  }

  /** The running node, for white-box checks (held polls, multi-session status, bus GC). */
  public PosSync node() {
    return node;
  }

  @Override
  public void close() throws Exception {
    node.close();
  }
}
