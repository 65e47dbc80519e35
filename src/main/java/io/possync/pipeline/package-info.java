/**
 * The path of one request through the node, readable top to bottom in {@link
 * io.possync.pipeline.Pipeline}: admit, load (before any lock), decide (pure rules of {@code
 * sync}), commit (group commit on one writer thread), publish (bus), answer. Owns the hot state:
 * which multi-sessions are in memory, pinned while their outcomes are not durable, reloaded after a
 * failed commit. Sees the store and the bus only through their interfaces.
 */
package io.possync.pipeline;
