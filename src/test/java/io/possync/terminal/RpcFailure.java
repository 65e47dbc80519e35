package io.possync.terminal;

/**
 * A failed JSON-RPC call as the POS's {@code ajax.js} reports it (docs/protocol.md §2.5): either a
 * transport failure ({@code data.type} xhrerror, xhrtimeout, xhrparsererror, xhrabort) or the
 * server's JSON-RPC {@code error} with its {@code data.name}.
 */
final class RpcFailure extends RuntimeException {
  enum Type { XHR_ERROR, TIMEOUT, PARSE_ERROR, ABORT, RPC_ERROR }

  final Type type;
  /** {@code error.data.name} of a JSON-RPC error; null if absent. */
  final String name;
  /** A JSON-RPC error without a {@code data} object: the POS's handler would crash on it. */
  final boolean withoutData;

  private RpcFailure(Type type, String name, boolean withoutData, String detail) {
    super(detail, null, false, false); // no stack trace: failures are routine here
    this.type = type;
    this.name = name;
    this.withoutData = withoutData;
  }

  static RpcFailure transport(Type type, String detail) {
    return new RpcFailure(type, null, false, detail);
  }

  static RpcFailure rpcError(String name, boolean withoutData, String detail) {
    return new RpcFailure(Type.RPC_ERROR, name, withoutData, detail);
  }

  /** Unwraps completion wrappers; anything unexpected counts as a network error. */
  static RpcFailure of(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException
        || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof RpcFailure f) {
      return f;
    }
    if (c instanceof java.util.concurrent.CancellationException) {
      return transport(Type.ABORT, "aborted");
    }
    return transport(Type.XHR_ERROR, String.valueOf(c));
  }

  /**
   * Whether the update route's fail handler takes its offline branch: a network error, or an
   * error name that does not start with "NotFound" ({@code name.search("NotFound")} is truthy).
   */
  boolean offlineBranch() {
    return type == Type.XHR_ERROR
        || (type == Type.RPC_ERROR && name != null && !name.isEmpty()
            && name.indexOf("NotFound") != 0);
  }
}
