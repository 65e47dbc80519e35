package io.possync.http;

/** Carries an {@link RpcError} out of a route. */
final class RpcException extends RuntimeException {
  final RpcError error;

  RpcException(RpcError error) {
    super(error.detail(), null, false, false);
    this.error = error;
  }
}
