package io.possync.e2e;

import static io.possync.e2e.Product.DESK_PAD;
import static io.possync.e2e.Product.FLIPOVER;
import static io.possync.e2e.Product.LED_LAMP;
import static io.possync.e2e.Shop.assertCleanRun;
import static io.possync.e2e.Shop.eventually;
import static io.possync.e2e.Shop.fill;
import static io.possync.e2e.Shop.goneEverywhere;
import static io.possync.e2e.Shop.sameOrderEverywhere;
import static org.assertj.core.api.Assertions.assertThat;

import io.possync.terminal.ReceivedMessage;
import io.possync.terminal.TerminalListener;
import io.possync.terminal.VirtualTerminal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Orders paid while the terminal had no network (docs/protocol.md §5.12). */
class OfflinePaymentScenariosTest {
  private Shop shop;

  @BeforeEach
  void openShop() throws Exception {
    shop = Shop.open(java.util.Map.of(), restarts(), topology());
  }

  /** Overridden by the variant that restarts the server between the scenario's steps. */
  Shop.Restarts restarts() {
    return Shop.Restarts.NEVER;
  }

  /** Overridden by the variant that runs the scenarios on a cluster. */
  Shop.Topology topology() {
    return Shop.Topology.ONE_NODE;
  }

  @AfterEach
  void closeShop() {
    shop.close();
  }

  /**
   * Admin pays two orders offline: one the server knows, one created offline. Back online, the
   * POS announces both with {@code remove_order} + {@code order_data} before its sync_all; the
   * server tombstones the known one, creates-and-tombstones the unknown one, and the other POS
   * drops the known one and never sees the other as a draft.
   */
  @Test
  void ordersPaidOfflineAreRemovedEverywhereOnceBackOnline() {
    VirtualTerminal admin = shop.terminal(1);
    VirtualTerminal demo = shop.terminal(2);
    List<ReceivedMessage> seenByDemo = new CopyOnWriteArrayList<>();
    demo.addListener(new TerminalListener() {
      @Override
      public void onMessage(VirtualTerminal t, ReceivedMessage m) {
        seenByDemo.add(m);
      }
    });
    String known = admin.newOrder();
    fill(admin, known, LED_LAMP, DESK_PAD);
    sameOrderEverywhere(known, admin, demo);

    admin.goOffline();
    eventually().until(() -> !admin.isBusOnline());
    String offline = admin.newOrder();
    fill(admin, offline, FLIPOVER);
    eventually().until(() -> !admin.isClientOnline());
    admin.payOrder(known);
    admin.payOrder(offline);
    assertThat(admin.paidOrdersPending()).containsExactly(known, offline);
    assertThat(admin.orders()).isEmpty();
    assertThat(demo.order(known)).isPresent();

    admin.goOnline();
    goneEverywhere(known, admin, demo);
    eventually().until(() -> admin.paidOrdersPending().isEmpty() && admin.isIdle()
        && admin.isClientOnline() && demo.isIdle());

    assertThat(demo.orders()).isEmpty();
    assertThat(seenByDemo).noneMatch(
        m -> "update_order".equals(m.action()) && offline.equals(m.orderUid()));
    // The broadcast reaches demo through its own poll, which may be held by another node of a
    // cluster, a moment after admin's answer.
    eventually().untilAsserted(() -> assertThat(seenByDemo).anyMatch(
        m -> "remove_order".equals(m.action()) && offline.equals(m.orderUid())
            && !m.message().getAsJsonObject("data").has("order_data"))); // stripped (D9)
    // The offline order got its number from order_data and is a tombstone, not a draft.
    assertThat(shop.status().orders()).isEqualTo(2);
    assertThat(shop.status().drafts()).isZero();
    assertThat(shop.status().orderId()).isEqualTo(2);
    assertThat(admin.stats().conflictPopups()).isZero();
    assertThat(admin.stats().revisionErrors()).isZero();
    assertThat(admin.stats().handlerErrors()).isZero();
    assertCleanRun(demo);
  }
}
