package io.possync.http;

import io.possync.config.AccessSettings;
import io.possync.config.Settings;
import io.possync.config.TlsSettings;
import io.possync.pipeline.Pipeline;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The POS listeners: one Jetty server with CORS in front of the three JSON-RPC routes, on plain
 * HTTP and, when {@code tls.port} is set, on HTTPS too.
 */
public final class PosSyncServer {
  public static final String UPDATE_PATH = "/pos_multi_session_sync/update";
  public static final String POLL_PATH = "/longpolling/poll";
  public static final String PING_PATH = "/pos_longpolling/update";

  private final Server server;
  private final ServerConnector connector;
  /** Null when {@code tls.port} is 0. */
  private final ServerConnector tlsConnector;

  /**
   * @param certificate the HTTPS listener's certificate; null when {@code settings.tls()} is off
   * @param tokens      finds a capability token by the hash of its secret (auth.mode=token)
   * @param activity    where polls are recorded per terminal (for the status page)
   * @param traffic     where updates and fan-out latency are counted (for the status page)
   * @param listener    told of every request answered and every update decided (metrics)
   */
  public PosSyncServer(Settings settings, ServerCertificate certificate, Pipeline pipeline,
      Function<String, Optional<AccessTokens.Binding>> tokens, PollActivity activity,
      TrafficHistory traffic, RequestListener listener) {
    if (settings.tls().enabled() != (certificate != null)) {
      throw new IllegalArgumentException("a certificate is needed exactly when tls.port is set");
    }
    QueuedThreadPool threads = new QueuedThreadPool(200, 8);
    threads.setName("possync-http");
    server = JettyHardening.server(threads);
    HttpConfiguration http = JettyHardening.httpConfiguration();
    if (settings.access().trustForwarded()) {
      // Behind the site's reverse proxy every request comes from the proxy: per-address limits
      // and refusal logs need the client's address from its headers.
      http.addCustomizer(new ForwardedRequestCustomizer());
    }
    connector = new ServerConnector(server, JettyHardening.http1(http));
    connector.setHost(settings.http().host());
    connector.setPort(settings.http().port());
    // A held poll is silent for up to poll.timeout; the connection must outlive it.
    long idleTimeout = settings.poll().timeout().toMillis() + 30_000;
    connector.setIdleTimeout(idleTimeout);
    connector.setAcceptQueueSize(1024);
    server.addConnector(connector);
    if (certificate != null) {
      tlsConnector = httpsConnector(settings.tls(), certificate, http, idleTimeout);
      server.addConnector(tlsConnector);
    } else {
      tlsConnector = null;
    }

    AccessSettings a = settings.access();
    RequestLimits limits = new RequestLimits(a.maxRequestsPerSecond(), a.maxHeldPerAddress());
    Set<String> dbnames = Set.copyOf(a.allowedDbnames());
    AccessControl access = switch (a.mode()) {
      case TOKEN -> new TokenAccess(tokens, dbnames);
      case ODOO_SESSION ->
          new OdooSessionAccess(a.odooUrl(), a.sessionCache(), dbnames);
      default -> new OpenAccess(dbnames);
    };
    RpcRouter router = new RpcRouter(settings.http().pathPrefix(), Map.of(
        UPDATE_PATH, new UpdateRoute(pipeline, traffic),
        POLL_PATH, new PollRoute(pipeline, settings.poll().timeout(), a.maxChannels(), limits,
            activity, traffic),
        PING_PATH, new PingRoute(pipeline)),
        settings.http().maxBodyBytes(), settings.http().maxJsonDepth(), access, limits, listener);
    CorsHandler cors = new CorsHandler(settings.cors().allowedOrigins(), settings.cors().maxAge(),
        router);
    server.setHandler(cors);
    // Requests Jetty refuses before any handler runs (ambiguous or badly encoded paths, a request
    // line or headers over the limits) get the same envelope and CORS header as ours.
    server.setErrorHandler(new JsonErrorHandler(cors));
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

  /** The HTTPS port actually bound, or 0 when there is no HTTPS listener. */
  public int tlsPort() {
    return tlsConnector == null ? 0 : tlsConnector.getLocalPort();
  }

  /**
   * HTTPS with HTTP/2 and HTTP/1.1 chosen by ALPN (the JDK's own, through jetty-alpn-java-server),
   * HTTP/1.1 for clients that offer no ALPN.
   */
  private ServerConnector httpsConnector(TlsSettings tls, ServerCertificate certificate,
      HttpConfiguration plain, long idleTimeout) {
    HttpConfiguration https = new HttpConfiguration(plain);
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    // Checking the Host against the certificate is the browser's job. Doing it here as well
    // would only turn away a POS that reaches the box by an address the certificate does not
    // name after its user accepted the certificate anyway.
    secure.setSniHostCheck(false);
    https.addCustomizer(secure);
    HttpConnectionFactory h1 = JettyHardening.http1(https);
    HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(https);
    // Jetty would take the connection's idle timeout too; set here so a held poll's stream
    // visibly gets the same time as on the plain listener.
    h2.setStreamIdleTimeout(idleTimeout);
    // No protocol list: ALPN then offers what follows it on the connector, h2 then http/1.1, by
    // their ALPN names (h1.getProtocol() is "HTTP/1.1", which no client would match).
    ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
    alpn.setDefaultProtocol(h1.getProtocol());

    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setKeyStore(certificate.keyStore());
    ssl.setKeyStorePassword(certificate.password());
    ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    // Jetty's default exclusions (no RSA key exchange, SHA-1 MACs, NULL or anonymous suites) stay.
    // HTTP/2 forbids some suites TLS 1.2 allows: offer the ones it accepts first.
    ssl.setCipherComparator(HTTP2Cipher.COMPARATOR);
    ssl.setUseCipherSuitesOrder(true);

    ServerConnector c = new ServerConnector(server,
        new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, h2, h1);
    c.setHost(tls.host());
    c.setPort(tls.port());
    c.setIdleTimeout(idleTimeout);
    c.setAcceptQueueSize(1024);
    return c;
  }
}
