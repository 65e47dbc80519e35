package io.possync.pipeline;

/**
 * An outcome could not be made durable (disk full, I/O error): it was not acknowledged, not
 * published, and its multi-session is reloaded from the store before the next decision.
 */
public final class CommitFailedException extends RuntimeException {
  public CommitFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
