package io.possync.sync;

/**
 * The actions of a multi-session message (docs/protocol.md §5.1): the three clients send, and
 * anything else, which is relayed to every terminal unchanged.
 */
public enum Action {
  UPDATE_ORDER("update_order"),
  SYNC_ALL("sync_all"),
  REMOVE_ORDER("remove_order"),
  OTHER("other");

  private final String wire;

  Action(String wire) {
    this.wire = wire;
  }

  /** The name on the wire; {@code other} for unknown actions (a bounded metrics label too). */
  public String wire() {
    return wire;
  }

  /** The action a message names. */
  static Action of(String name) {
    for (Action a : values()) {
      if (a != OTHER && a.wire.equals(name)) {
        return a;
      }
    }
    return OTHER;
  }
}
