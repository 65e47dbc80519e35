package io.possync.sync;

/**
 * What an {@code update_order} based on an older revision than the stored one does
 * ({@code sync.conflicts}, docs/conflicts.md).
 */
public enum ConflictPolicy {
  /** Three-way merge with the revision the writer saw, when that revision is still kept. */
  MERGE,
  /** {@code revision_error}, as the original server answers: the writer's change is dropped. */
  REJECT
}
