package io.possync.e2e;

/**
 * {@link OriginalSyncScenariosUnderMergeTest} again, on a cluster of three nodes sharing one
 * PostgreSQL database, every request of every terminal sent to a node picked at random: merging
 * must work whichever node took the edits that meet.
 */
class OriginalSyncScenariosUnderMergeOnClusterTest extends OriginalSyncScenariosUnderMergeTest {
  @Override
  Shop.Topology topology() {
    return Shop.Topology.CLUSTER;
  }
}
