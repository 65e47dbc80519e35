package io.possync.e2e;

/**
 * {@link OriginalSyncScenariosTest} again, on a cluster of three nodes sharing one PostgreSQL
 * database, every request of every terminal sent to a node picked at random: a terminal's update,
 * its polls and its PINGs land on different nodes, and the scenarios must not notice.
 */
class OriginalSyncScenariosOnClusterTest extends OriginalSyncScenariosTest {
  @Override
  Shop.Topology topology() {
    return Shop.Topology.CLUSTER;
  }
}
