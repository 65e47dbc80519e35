package io.possync.http;

/**
 * An error answered in Odoo's JSON-RPC error envelope (docs/protocol.md §2.4).
 *
 * <p>The client reacts to {@code data.name} (§2.5): any non-empty name that does not start with
 * "NotFound" puts the POS in its offline state and makes it retry; that is what every name here
 * does, the same reaction the reference server's errors cause.
 *
 * @param httpStatus HTTP status (200 for application errors, as Odoo sends them)
 * @param code       {@code error.code}
 * @param message    {@code error.message}
 * @param name       {@code error.data.name}
 * @param detail     {@code error.data.message}, a sentence for people
 */
public record RpcError(int httpStatus, int code, String message, String name, String detail) {

  static RpcError invalidParams(String detail) {
    return new RpcError(200, 200, "Odoo Server Error", "possync.exceptions.InvalidParams", detail);
  }

  static RpcError serverError(String detail) {
    return new RpcError(200, 200, "Odoo Server Error", "possync.exceptions.ServerError", detail);
  }

  static RpcError storeUnavailable(String detail) {
    return new RpcError(200, 200, "Odoo Server Error", "possync.exceptions.StoreUnavailable",
        detail);
  }

  /** Refused by the access rules; HTTP 403 puts the POS in its offline state like a refusal should. */
  static RpcError forbidden(String detail) {
    return new RpcError(403, 403, "403: Forbidden", "werkzeug.exceptions.Forbidden", detail);
  }

  static RpcError tooManyRequests(String detail) {
    return new RpcError(429, 429, "429: Too Many Requests", "werkzeug.exceptions.TooManyRequests",
        detail);
  }

  static RpcError tooManyPolls(String detail) {
    return new RpcError(200, 200, "Odoo Server Error", "possync.exceptions.TooManyPolls", detail);
  }

  /** The body is not a JSON-RPC object: werkzeug's BadRequest, as Odoo answers it. */
  static RpcError badRequest(String detail) {
    return new RpcError(400, 400, "400: Bad Request", "werkzeug.exceptions.BadRequest", detail);
  }

  static RpcError tooLarge(String detail) {
    return new RpcError(413, 413, "413: Request Entity Too Large",
        "werkzeug.exceptions.RequestEntityTooLarge", detail);
  }

  static RpcError methodNotAllowed() {
    return new RpcError(405, 405, "405: Method Not Allowed",
        "werkzeug.exceptions.MethodNotAllowed", "Only POST is accepted here.");
  }

  /**
   * An HTTP error Jetty decided before any route ran, named as werkzeug names it. A server-side
   * failure (5xx other than 501/505) is answered like any server fault.
   */
  static RpcError forStatus(int status, String detail) {
    String name = switch (status) {
      case 400 -> "BadRequest";
      case 404 -> "NotFound";
      case 405 -> "MethodNotAllowed";
      case 408 -> "RequestTimeout";
      case 411 -> "LengthRequired";
      case 413 -> "RequestEntityTooLarge";
      case 414 -> "RequestURITooLarge";
      case 417 -> "ExpectationFailed";
      case 431 -> "RequestHeaderFieldsTooLarge";
      case 501 -> "NotImplemented";
      case 505 -> "HTTPVersionNotSupported";
      default -> null;
    };
    if (name == null) {
      return status >= 500 ? serverError("The server failed to process the request.")
          : badRequest(detail);
    }
    String reason = switch (status) {
      case 414 -> "Request URI Too Large"; // werkzeug's wording, not Jetty's "URI Too Long"
      case 505 -> "HTTP Version Not Supported";
      default -> name.replaceAll("(?<=[a-z])(?=[A-Z])", " ");
    };
    return new RpcError(status, status, status + ": " + reason, "werkzeug.exceptions." + name,
        detail);
  }

  /** Byte for byte what Odoo answers for an unknown JSON route (golden transcript S32). */
  static RpcError notFound() {
    return new RpcError(404, 404, "404: Not Found", "werkzeug.exceptions.NotFound",
        "404 Not Found: The requested URL was not found on the server.  If you entered the URL"
            + " manually please check your spelling and try again.");
  }
}
