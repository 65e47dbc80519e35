package io.possync.config;

/** {@code sync.conflicts}: what a late update of an order gets (see docs/conflicts.md). */
public enum SyncConflicts {
  /** Merged line by line with the changes made meanwhile. */
  MERGE("merge"),
  /** Refused with {@code revision_error}, as the original server does. */
  REJECT("reject");

  private final String value;

  SyncConflicts(String value) {
    this.value = value;
  }

  /** As written in the configuration (log lines and messages show this). */
  @Override
  public String toString() {
    return value;
  }
}
