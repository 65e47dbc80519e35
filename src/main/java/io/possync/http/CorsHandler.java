package io.possync.http;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * CORS for POS pages on another origin (docs/protocol.md §2.6–2.7). Jetty's CrossOriginHandler does not
 * answer the Private Network Access preflight that Chromium sends when a public POS page calls a
 * sync server on the shop LAN, hence this small handler.
 */
final class CorsHandler extends Handler.Wrapper {
  /** What the reference nginx allowed, X-Debug-Mode included (sent by POS pages in debug mode). */
  private static final String ALLOWED_HEADERS = "DNT,X-CustomHeader,Keep-Alive,User-Agent,"
      + "X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Content-Range,Range,"
      + "X-Debug-Mode";

  private final boolean anyOrigin;
  private final Set<String> origins;
  private final String maxAge;

  CorsHandler(List<String> allowedOrigins, Duration maxAge, Handler next) {
    super(next);
    this.anyOrigin = allowedOrigins.contains("*");
    this.origins = Set.copyOf(allowedOrigins);
    this.maxAge = Long.toString(maxAge.toSeconds());
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    allowOrigin(request, response);
    boolean preflight = HttpMethod.OPTIONS.is(request.getMethod())
        && request.getHeaders().contains(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD);
    if (!preflight) {
      return super.handle(request, response, callback);
    }
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS");
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS);
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_MAX_AGE, maxAge);
    if ("true".equalsIgnoreCase(request.getHeaders().get("Access-Control-Request-Private-Network"))) {
      response.getHeaders().put("Access-Control-Allow-Private-Network", "true");
    }
    response.setStatus(HttpStatus.NO_CONTENT_204);
    // An explicit last write, never callback.succeeded() alone (JettyHardening, docs/jetty.md).
    // Written here, on the Jetty thread that read the preflight. Browsers send no body with a
    // preflight; one sent anyway is read away first (see RequestBodies).
    RequestBodies.drainThen(request, () -> JettyHardening.endEmpty(response, callback));
    return true;
  }

  /**
   * Every answer carries Allow-Origin, errors too (also those Jetty writes before any handler
   * runs, see {@link JsonErrorHandler}): without it the browser reports a network error and the
   * POS goes offline (§2.6).
   */
  void allowOrigin(Request request, Response response) {
    if (anyOrigin) {
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
      return;
    }
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null && origins.contains(origin)) {
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
      response.getHeaders().add(HttpHeader.VARY, "Origin");
    }
  }
}
