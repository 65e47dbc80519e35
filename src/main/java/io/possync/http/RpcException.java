package io.possync.http;

import com.google.gson.JsonElement;

/** Carries an {@link RpcError} out of a route. */
final class RpcException extends RuntimeException {
  final RpcError error;
  /** The request's id when it was read before the error, else null. */
  final JsonElement id;

  RpcException(RpcError error) {
    this(error, null);
  }

  RpcException(RpcError error, JsonElement id) {
    super(error.detail(), null, false, false);
    this.error = error;
    this.id = id;
  }
}
