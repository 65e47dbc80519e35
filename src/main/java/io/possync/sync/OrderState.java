package io.possync.sync;

/** Server-side state of a synced order, spelled as the reference server's selection values. */
public enum OrderState {
  DRAFT("draft"),
  /** Tombstone: removed or finalized; late updates get {@code revision_error} with this state. */
  DELETED("deleted"),
  /** A draft left over from an earlier run of the multi-session. */
  UNPAID("unpaid");

  private final String wire;

  OrderState(String wire) {
    this.wire = wire;
  }

  /** The value sent in {@code revision_error} answers. */
  public String wire() {
    return wire;
  }
}
