package io.possync.e2e;

import static io.possync.e2e.Product.DESK_PAD;
import static io.possync.e2e.Product.LED_LAMP;
import static io.possync.e2e.Product.MAGNETIC_BOARD;
import static io.possync.e2e.Product.WHITEBOARD_PEN;
import static io.possync.e2e.Shop.assertCleanRun;
import static io.possync.e2e.Shop.eventually;
import static io.possync.e2e.Shop.fill;
import static io.possync.e2e.Shop.items;
import static io.possync.e2e.Shop.sameOrderEverywhere;
import static org.assertj.core.api.Assertions.assertThat;

import io.possync.terminal.OrderView;
import io.possync.terminal.VirtualTerminal;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link OriginalSyncScenariosTest} on a cluster of three nodes, every request of every terminal
 * on a node picked at random, and one node restarted at every step boundary, each node in turn.
 *
 * <p>One scenario has two right outcomes here, and its check says so:
 * {@link #removalAskedWhileItsUpdateIsUnansweredIsRefusedAndTheOrderComesBack}. With one node,
 * a restart makes every terminal resync, and the node that takes the removal knows that the
 * terminal's sync_all answer may still be on its way (D17), so it sends the order along and the
 * removal carries the new revision: gone everywhere. On a cluster only the terminals that met
 * the restarted node resync, and D17's bookkeeping lives in the memory of the node that took the
 * sync_all, not necessarily the one that takes the update. So the removal is accepted (gone
 * everywhere) or refused as on a node that never restarted (back everywhere, one conflict
 * popup): which one depends on where the requests went, and both end with the terminals agreeing.
 */
class OriginalSyncScenariosOnClusterWithRestartsTest extends OriginalSyncScenariosTest {
  @Override
  Shop.Topology topology() {
    return Shop.Topology.CLUSTER;
  }

  @Override
  Shop.Restarts restarts() {
    return Shop.Restarts.BETWEEN_STEPS;
  }

  /** The base scenario's steps; its end is either of the two outcomes the class comment gives. */
  @Test
  @Override
  void removalAskedWhileItsUpdateIsUnansweredIsRefusedAndTheOrderComesBack() throws Exception {
    VirtualTerminal admin = shop.terminal(1);
    VirtualTerminal observer = shop.terminal(2);
    String order = removeWhileItsUpdateIsUnanswered(admin, observer);

    eventually().until(() -> admin.isIdle() && observer.isIdle()
        && agree(admin.order(order), observer.order(order)));
    if (admin.order(order).isEmpty()) {
      assertThat(shop.status().drafts()).isZero();
      assertCleanRun(admin, observer);
      return;
    }
    OrderView back = sameOrderEverywhere(order, admin, observer);
    assertThat(back.summary().items())
        .isEqualTo(items(LED_LAMP, DESK_PAD, WHITEBOARD_PEN, MAGNETIC_BOARD));
    assertThat(back.revision()).isEqualTo(2);
    assertThat(admin.stats().conflictPopups()).isEqualTo(1);
    assertThat(shop.status().drafts()).isEqualTo(1);
    assertCleanRun(observer);
  }

  /** Both without the order, or both showing it alike. */
  private static boolean agree(Optional<OrderView> a, Optional<OrderView> b) {
    return a.isEmpty() ? b.isEmpty()
        : b.isPresent() && a.get().summary().equals(b.get().summary())
            && a.get().revision() == b.get().revision();
  }
}
