package io.possync.sync;

/**
 * A request the server cannot process because it is malformed (missing or mistyped keys). Never
 * thrown for protocol conditions such as revision conflicts (decision D10).
 */
public final class InvalidMessageException extends RuntimeException {
  public InvalidMessageException(String message) {
    super(message);
  }
}
