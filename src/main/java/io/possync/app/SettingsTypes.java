package io.possync.app;

import io.possync.config.StoreSync;
import io.possync.config.SyncConflicts;
import io.possync.store.SqliteStore;
import io.possync.sync.ConflictPolicy;

/**
 * The configuration's choices as the types of the packages that act on them ({@code config}
 * depends on no other package of PosSync). Switches without a default, so that a new choice does
 * not compile until it is mapped here.
 */
final class SettingsTypes {
  private SettingsTypes() {}

  static SqliteStore.SyncPolicy syncPolicy(StoreSync sync) {
    return switch (sync) {
      case PROCESS -> SqliteStore.SyncPolicy.PROCESS;
      case POWER -> SqliteStore.SyncPolicy.POWER;
    };
  }

  static ConflictPolicy conflictPolicy(SyncConflicts conflicts) {
    return switch (conflicts) {
      case MERGE -> ConflictPolicy.MERGE;
      case REJECT -> ConflictPolicy.REJECT;
    };
  }
}
