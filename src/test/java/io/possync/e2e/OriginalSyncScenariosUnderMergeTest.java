package io.possync.e2e;

/**
 * {@link OriginalSyncScenariosTest} under PosSync's default {@code sync.conflicts=merge}: the
 * same scenarios, and where the original refuses a late edit, the merged outcome.
 */
class OriginalSyncScenariosUnderMergeTest extends OriginalSyncScenariosTest {
  @Override
  String conflicts() {
    return "merge";
  }
}
