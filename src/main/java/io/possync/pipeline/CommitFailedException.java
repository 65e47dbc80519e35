package io.possync.pipeline;

/**
 * An outcome could not be made durable (disk full, I/O error, a cluster's database away), or the
 * state it would be decided on could not be read: it was not acknowledged, not published, and its
 * multi-session is reloaded from the store before the next decision.
 */
public final class CommitFailedException extends RuntimeException {
  public CommitFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
