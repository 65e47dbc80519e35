package io.possync.bus;

/** Thrown when a poll would exceed the bound on held polls; the poller should retry later. */
public final class PollLimitException extends RuntimeException {
  public PollLimitException(String message) {
    super(message);
  }
}
