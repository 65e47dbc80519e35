package io.possync.sync;

import java.util.Optional;

/** Reads durable state back when a multi-session is needed that is not in memory. */
public interface StateLoader {
  /** The multi-session with its terminals and orders, or empty if it never existed. */
  Optional<MultiSessionSnapshot> loadMultiSession(MultiSessionKey key);

  /** One terminal, wherever its home is, or empty if it never registered. */
  Optional<TerminalRow> loadTerminal(TerminalKey key);

  /** Loads nothing: for a node without a store (unit tests). */
  StateLoader NONE = new StateLoader() {
    @Override
    public Optional<MultiSessionSnapshot> loadMultiSession(MultiSessionKey key) {
      return Optional.empty();
    }

    @Override
    public Optional<TerminalRow> loadTerminal(TerminalKey key) {
      return Optional.empty();
    }
  };
}
