package io.possync.store;

import io.possync.sync.MultiSessionKey;
import java.util.Set;

/**
 * A commit refused because another node changed one of its multi-sessions after this node
 * decided on it. Nothing of the batch was written; the decisions are taken again on fresh state.
 */
public final class StaleRevisionException extends StoreException {
  private final Set<MultiSessionKey> stale;

  public StaleRevisionException(Set<MultiSessionKey> stale) {
    super("changed meanwhile on another node: " + stale);
    this.stale = Set.copyOf(stale);
  }

  /** The multi-sessions whose copy here was behind. */
  public Set<MultiSessionKey> stale() {
    return stale;
  }
}
