package io.possync.store;

import io.possync.sync.MultiSessionKey;

/**
 * One decision on a multi-session, as a shared store checks it: it was decided on the state
 * {@code base} names and leaves the state {@code next} names. Revisions are random tokens, not
 * counters: a node that decided twice on a copy another node had moved past could otherwise
 * reach, by its second decision, the very number the other node's commit left, and be taken for
 * current. A shared store commits a decision only if the multi-session is still at its base.
 */
public record RevisionStep(MultiSessionKey key, long base, long next) {}
