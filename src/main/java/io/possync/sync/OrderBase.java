package io.possync.sync;

/**
 * An earlier revision of a draft order as the store keeps it, a base a late update can be merged
 * against (docs/conflicts.md): kept by a cluster's store, where the node that merges may not be
 * the one that took the revision.
 *
 * @param uid      the order's uid in its multi-session
 * @param revision the revision that message was accepted at
 * @param message  the message accepted at that revision, as JSON text
 */
public record OrderBase(String uid, long revision, String message) {}
