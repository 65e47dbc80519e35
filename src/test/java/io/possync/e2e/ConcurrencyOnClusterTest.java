package io.possync.e2e;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ConcurrencyTest} on a cluster of three nodes sharing one PostgreSQL database, every
 * request of every terminal (its updates and each of its polls) sent to a node picked at random:
 * decisions on one multi-session are taken on all three nodes at once, refused as stale and
 * taken again, and each poller meets every node. Its message_IDs must still count up by one,
 * its notification ids rise and miss none committed on its channel, and each multi-session's
 * order numbers run from 1 without a gap or a repeat.
 */
class ConcurrencyOnClusterTest extends ConcurrencyTest {
  @Override
  Shop.Topology topology() {
    return Shop.Topology.CLUSTER;
  }

  @Override
  Duration rushBound() {
    return Duration.ofSeconds(60);
  }

  /** The same scenario, with room for the cluster's start and its slower decisions. */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  @Override
  void manyTerminalsEditingAtOnceKeepEveryStreamAndCounterExact() throws Exception {
    super.manyTerminalsEditingAtOnceKeepEveryStreamAndCounterExact();
  }
}
