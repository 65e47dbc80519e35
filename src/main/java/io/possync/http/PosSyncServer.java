package io.possync.http;

import io.possync.bus.NotificationBus;
import io.possync.config.AccessSettings;
import io.possync.config.Settings;
import io.possync.sync.OutcomeSink;
import io.possync.sync.SyncService;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The POS listener: one Jetty server with CORS in front of the three JSON-RPC routes. */
public final class PosSyncServer {
  public static final String UPDATE_PATH = "/pos_multi_session_sync/update";
  public static final String POLL_PATH = "/longpolling/poll";
  public static final String PING_PATH = "/pos_longpolling/update";

  private final Server server;
  private final ServerConnector connector;

  /**
   * @param tokens finds a capability token by the hash of its secret (auth.mode=token)
   */
  public PosSyncServer(Settings settings, SyncService sync, NotificationBus bus,
      OutcomeSink sink, Function<String, Optional<AccessTokens.Binding>> tokens) {
    QueuedThreadPool threads = new QueuedThreadPool(200, 8);
    threads.setName("possync-http");
    server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    // Empty path segments arrive when sync_server ends in a slash; the router folds them.
    http.setUriCompliance(UriCompliance.DEFAULT.with("possync",
        UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT));
    if (settings.access().trustForwarded()) {
      // Behind the site's reverse proxy every request comes from the proxy: per-address limits
      // and refusal logs need the client's address from its headers.
      http.addCustomizer(new ForwardedRequestCustomizer());
    }
    connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(settings.host());
    connector.setPort(settings.port());
    // A held poll is silent for up to poll.timeout; the connection must outlive it.
    connector.setIdleTimeout(settings.pollTimeout().toMillis() + 30_000);
    connector.setAcceptQueueSize(1024);
    server.addConnector(connector);

    AccessSettings a = settings.access();
    RequestLimits limits = new RequestLimits(a.maxRequestsPerSecond(), a.maxHeldPerAddress());
    Set<String> dbnames = Set.copyOf(a.allowedDbnames());
    AccessControl access = switch (a.mode()) {
      case AccessSettings.TOKEN -> new TokenAccess(tokens, dbnames);
      case AccessSettings.ODOO_SESSION ->
          new OdooSessionAccess(a.odooUrl(), a.sessionCache(), dbnames);
      default -> new OpenAccess(dbnames);
    };
    RpcRouter router = new RpcRouter(settings.pathPrefix(), Map.of(
        UPDATE_PATH, new UpdateRoute(sync),
        POLL_PATH, new PollRoute(bus, settings.pollTimeout(), a.maxChannels(), limits,
            sync::isTerminalOf),
        PING_PATH, new PingRoute(sink)),
        settings.maxBodyBytes(), settings.maxJsonDepth(), access, limits);
    server.setHandler(new CorsHandler(settings.corsAllowedOrigins(), settings.corsMaxAge(), router));
    // Held polls are answered before stopping (PosSync.close); idle keep-alive connections need
    // no grace period.
    server.setStopTimeout(0);
  }

  public void start() throws Exception {
    server.start();
  }

  public void stop() throws Exception {
    server.stop();
  }

  public void join() throws InterruptedException {
    server.join();
  }

  /** The port actually bound (differs from the setting when that was 0). */
  public int port() {
    return connector.getLocalPort();
  }
}
