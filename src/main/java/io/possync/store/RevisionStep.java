package io.possync.store;

import io.possync.sync.MultiSessionKey;

/**
 * One decision on a multi-session, as a shared store checks it: it was decided on revision
 * {@code base} and makes it {@code base + 1}. A store shared by several nodes commits it only if
 * the multi-session is still at {@code base}.
 */
public record RevisionStep(MultiSessionKey key, long base) {}
