package io.possync.store;

import io.possync.sync.MultiSessionSnapshot;
import java.util.Optional;

/**
 * A multi-session as read from the store, with the revision it was read at (0 when it never
 * existed, and always 0 in a store that is not shared).
 */
public record LoadedMultiSession(Optional<MultiSessionSnapshot> snapshot, long revision) {}
