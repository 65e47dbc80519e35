package io.possync.wire;

/** Bounds of the integers PosSync hands to JavaScript clients. */
public final class Ids {
  /** The largest integer a JavaScript number holds exactly: 2^53 - 1. */
  public static final long MAX_SAFE = (1L << 53) - 1;

  private Ids() {}
}
