package io.possync.sync;

/** How a message was decided, for whoever counts. */
public enum Verdict {
  /** Applied (or a replay of something already applied). */
  APPLIED,
  /** An update based on an older revision, merged with the changes made meanwhile. */
  MERGED,
  /** Refused with a {@code revision_error} (docs/protocol.md §5.5, §5.7). */
  REFUSED
}
