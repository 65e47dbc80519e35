package io.possync.http;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.possync.config.AdminSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: the live status page, {@code /api/status}, {@code /metrics} and the health
 * probes, on a Jetty server of its own (own address, own few threads), so that the POS port never
 * serves them and a flood of POS requests cannot starve the probes.
 *
 * <p>{@code /healthz} and {@code /readyz} are open (probes carry no secrets and reveal none);
 * everything else needs the token when one is set (see {@link AdminAuth}).
 */
public final class AdminServer {
  /** The Prometheus text exposition format. */
  public static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  public static final String HEALTH_PATH = "/healthz";
  public static final String READY_PATH = "/readyz";
  public static final String STATUS_PATH = "/api/status";
  public static final String METRICS_PATH = "/metrics";

  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final Gson JSON = new GsonBuilder()
      .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
      .serializeNulls()
      .disableHtmlEscaping()
      .create();
  /** The page: static files, no build step, nothing loaded from elsewhere. */
  private static final String PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self';"
      + " connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none';"
      + " frame-ancestors 'none'";

  private record Asset(String contentType, byte[] body) {}

  private final Server server;
  private final ServerConnector connector;
  private final String address;

  /**
   * @param status  what {@code /api/status} and {@code /readyz} report
   * @param metrics the Prometheus text of {@code /metrics}, made on each scrape
   */
  public AdminServer(AdminSettings settings, StatusSource status, Supplier<String> metrics) {
    QueuedThreadPool threads = new QueuedThreadPool(16, 2);
    threads.setName("possync-admin");
    server = JettyHardening.server(threads);
    HttpConfiguration http = JettyHardening.httpConfiguration();
    connector = new ServerConnector(server, 1, 1, JettyHardening.http1(http));
    connector.setHost(settings.host());
    connector.setPort(settings.port());
    connector.setIdleTimeout(30_000);
    server.addConnector(connector);
    Map<String, Asset> assets = Map.of(
        "/", asset("index.html", "text/html; charset=utf-8"),
        "/app.js", asset("app.js", "text/javascript; charset=utf-8"),
        "/style.css", asset("style.css", "text/css; charset=utf-8"));
    server.setHandler(new AdminHandler(new AdminAuth(settings.token()), status, metrics, assets,
        threads));
    // Requests Jetty refuses itself (a request line it cannot parse...) get a short text answer
    // that says the connection ends (Jetty closes it), instead of an HTML page.
    server.setErrorHandler((request, response, callback) -> {
      int code = JettyHardening.refusalStatus(request, response);
      JettyHardening.closeAfter(response);
      if (HttpStatus.hasNoBody(code)) {
        JettyHardening.endEmpty(response, callback); // never callback.succeeded() alone
      } else {
        AdminHandler.text(response, callback, code, HttpStatus.getMessage(code) + "\n");
      }
      return true;
    });
    server.setStopTimeout(0);
    address = settings.host() + ":" + settings.port();
  }

  /**
   * Starts listening.
   *
   * @throws IOException naming the admin settings when the address cannot be bound
   */
  public void start() throws Exception {
    try {
      server.start();
    } catch (IOException e) {
      server.stop();
      throw new IOException("admin listener (admin.host, admin.port) cannot listen on " + address
          + ": " + e.getMessage(), e);
    }
  }

  public void stop() throws Exception {
    server.stop();
  }

  /** The port actually bound (differs from the setting when that was 0). */
  public int port() {
    return connector.getLocalPort();
  }

  private static Asset asset(String name, String contentType) {
    try (InputStream in = AdminServer.class.getResourceAsStream("/web/" + name)) {
      if (in == null) {
        throw new IllegalStateException("web/" + name + " is missing from the classpath");
      }
      return new Asset(contentType, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final class AdminHandler extends Handler.Abstract {
    private final AdminAuth auth;
    private final StatusSource status;
    private final Supplier<String> metrics;
    private final Map<String, Asset> assets;
    private final Executor executor;

    AdminHandler(AdminAuth auth, StatusSource status, Supplier<String> metrics,
        Map<String, Asset> assets, Executor executor) {
      this.auth = auth;
      this.status = status;
      this.metrics = metrics;
      this.assets = assets;
      this.executor = executor;
    }

    /**
     * Every answer here ends with an explicit last write ({@link #send}); the probes, pages and
     * refusals are written by the Jetty thread that read the request, {@code /readyz} by one of
     * this listener's threads once the store answered its probe.
     */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      // Nothing here reads a body; one sent anyway is read away before answering (RequestBodies).
      RequestBodies.drainThen(request, () -> answer(request, response, callback));
      return true;
    }

    private void answer(Request request, Response response, Callback callback) {
      var headers = response.getHeaders();
      if (JettyHardening.ambiguous(request.getHttpURI())) {
        JettyHardening.closeAfter(response); // refusals end their connection (JettyHardening)
        text(response, callback, 400, "the path is ambiguous or badly encoded\n");
        return;
      }
      headers.put(HttpHeader.CACHE_CONTROL, "no-store");
      headers.put("X-Content-Type-Options", "nosniff");
      headers.put("Referrer-Policy", "no-referrer");
      if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
        headers.put(HttpHeader.ALLOW, "GET, HEAD");
        JettyHardening.closeAfter(response);
        text(response, callback, 405, "method not allowed\n");
        return;
      }
      String path = Request.getPathInContext(request);
      if (HEALTH_PATH.equals(path)) {
        text(response, callback, 200, "ok");
        return;
      }
      if (READY_PATH.equals(path)) {
        ready(response, callback);
        return;
      }
      if (!auth.admits(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
        LOG.debug("event=admin_refused address={} path={}", Request.getRemoteAddr(request), path);
        headers.put(HttpHeader.WWW_AUTHENTICATE, AdminAuth.CHALLENGE);
        JettyHardening.closeAfter(response);
        text(response, callback, 401, "authentication required: any user name, the admin"
            + " token as password\n");
        return;
      }
      try {
        switch (path) {
          case STATUS_PATH -> send(response, callback, 200, "application/json; charset=utf-8",
              JSON.toJson(status.status()).getBytes(StandardCharsets.UTF_8));
          case METRICS_PATH -> send(response, callback, 200, METRICS_CONTENT_TYPE,
              metrics.get().getBytes(StandardCharsets.UTF_8));
          default -> {
            Asset asset = assets.get("/index.html".equals(path) ? "/" : path);
            if (asset == null) {
              text(response, callback, 404, "not found\n");
            } else {
              if (asset.contentType().startsWith("text/html")) {
                headers.put("Content-Security-Policy", PAGE_CSP);
                headers.put("X-Frame-Options", "DENY");
              }
              send(response, callback, 200, asset.contentType(), asset.body());
            }
          }
        }
      } catch (RuntimeException e) {
        LOG.error("event=admin_failed path={} error={}", path, e.toString(), e);
        text(response, callback, 500, "the status could not be read: " + e.getMessage() + "\n");
      }
    }

    private void ready(Response response, Callback callback) {
      status.readiness().whenCompleteAsync((r, failure) -> {
        Readiness answer = failure == null ? r : new Readiness(false,
            new Readiness.StoreCheck(false, 0, failure.toString()), List.of());
        send(response, callback, answer.ready() ? 200 : 503, "application/json; charset=utf-8",
            JSON.toJson(answer).getBytes(StandardCharsets.UTF_8));
      }, executor); // not on the store's writer thread, which completes the probe
    }

    private static void text(Response response, Callback callback, int status, String body) {
      send(response, callback, status, "text/plain; charset=utf-8",
          body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(Response response, Callback callback, int status, String type,
        byte[] body) {
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
      response.write(true, ByteBuffer.wrap(body), callback);
    }
  }
}
