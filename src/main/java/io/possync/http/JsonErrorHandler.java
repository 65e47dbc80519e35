package io.possync.http;

import com.google.gson.JsonNull;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error page, replaced: a request Jetty refuses before any handler runs (an ambiguous or
 * badly encoded path such as {@code %2F}, {@code %2e%2e} or {@code %00}, a request line or
 * headers over the size limits) gets Odoo's JSON-RPC error envelope with
 * {@code Access-Control-Allow-Origin}, like every other answer (docs/protocol.md §2.4–2.6), instead
 * of an HTML page the browser hides behind a CORS failure.
 */
final class JsonErrorHandler implements Request.Handler {
  private final CorsHandler cors;

  JsonErrorHandler(CorsHandler cors) {
    this.cors = cors;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = JettyHardening.refusalStatus(request, response);
    // Jetty closes the connection after a request it could not parse, and a failed exchange
    // leaves nothing worth keeping: say so. Written on the Jetty thread that failed the request.
    JettyHardening.closeAfter(response);
    if (HttpStatus.hasNoBody(status)) {
      JettyHardening.endEmpty(response, callback); // never callback.succeeded() alone
      return true;
    }
    String detail = request.getAttribute(ErrorHandler.ERROR_MESSAGE) instanceof String s ? s
        : request.getAttribute(ErrorHandler.ERROR_EXCEPTION) instanceof HttpException e
            ? e.getReason() : null;
    RpcError error = RpcError.forStatus(status,
        detail != null ? detail : String.valueOf(HttpStatus.getMessage(status)));
    cors.allowOrigin(request, response);
    RpcRouter.write(response, callback, error.httpStatus(),
        JsonRpcBody.error(JsonNull.INSTANCE, error));
    return true;
  }
}
