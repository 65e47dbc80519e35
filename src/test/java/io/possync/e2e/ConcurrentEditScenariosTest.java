package io.possync.e2e;

import static io.possync.e2e.Product.DESK_ORGANIZER;
import static io.possync.e2e.Product.DESK_PAD;
import static io.possync.e2e.Product.LED_LAMP;
import static io.possync.e2e.Product.MAGNETIC_BOARD;
import static io.possync.e2e.Product.OFFICE_CHAIR;
import static io.possync.e2e.Product.WHITEBOARD_PEN;
import static io.possync.e2e.Shop.assertCleanRun;
import static io.possync.e2e.Shop.eventually;
import static io.possync.e2e.Shop.fill;
import static io.possync.e2e.Shop.item;
import static io.possync.e2e.Shop.items;
import static io.possync.e2e.Shop.sameLinesEverywhere;
import static org.assertj.core.api.Assertions.assertThat;

import io.possync.terminal.Latency;
import io.possync.terminal.OrderView;
import io.possync.terminal.VirtualTerminal;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two or three terminals edit one order at the same moment (docs/conflicts.md), over real HTTP
 * with virtual terminals: the cases the real-client scenarios in {@code src/test/realclient}
 * play. A terminal whose polls are slow has not heard of another's change when it makes its own,
 * so its update is based on an older revision. Under {@code sync.conflicts=merge} (the default)
 * every terminal ends with every change, no line is lost and nobody sees a conflict popup; under
 * {@code reject} they end identical, the late change lost, as with the original server.
 */
class ConcurrentEditScenariosTest {
  private static final Latency DEAF = Latency.slowPolls(Duration.ofMillis(800));

  private Shop shop;

  /** Overridden by the variant that restarts the server between the scenario's steps. */
  Shop.Restarts restarts() {
    return Shop.Restarts.NEVER;
  }

  /** Overridden by the variant that runs the scenarios on a cluster. */
  Shop.Topology topology() {
    return Shop.Topology.ONE_NODE;
  }

  private Shop open(Map<String, String> settings) throws Exception {
    return Shop.open(settings, restarts(), topology());
  }

  @AfterEach
  void closeShop() {
    if (shop != null) {
      shop.close();
    }
  }

  private String sharedOrder(VirtualTerminal creator, VirtualTerminal... others) {
    String order = creator.newOrder();
    fill(creator, order, LED_LAMP, DESK_PAD);
    VirtualTerminal[] all = new VirtualTerminal[others.length + 1];
    all[0] = creator;
    System.arraycopy(others, 0, all, 1, others.length);
    sameLinesEverywhere(order, all);
    return order;
  }

  /** {@code writer}'s change, accepted by the server before {@code late} hears of it. */
  private static void acceptedUnheard(VirtualTerminal writer, Runnable change,
      VirtualTerminal... late) {
    for (VirtualTerminal t : late) {
      t.setLatency(DEAF);
    }
    long before = writer.stats().updatesSent();
    change.run();
    eventually().until(() -> writer.stats().updatesSent() > before && writer.isIdle());
  }

  private static long revision(VirtualTerminal t, String order) {
    return t.order(order).orElseThrow().revision();
  }

  private static String firstLine(VirtualTerminal t, String order) {
    return t.order(order).orElseThrow().lines().get(0).uid();
  }

  @Test
  void twoTerminalsAddingAtOnceKeepBothLines() throws Exception {
    shop = open(Map.of());
    VirtualTerminal bar = shop.terminal(1);
    VirtualTerminal tablet = shop.terminal(2);
    VirtualTerminal kitchen = shop.terminal(3);
    String order = sharedOrder(bar, tablet, kitchen);

    acceptedUnheard(bar, () -> fill(bar, order, WHITEBOARD_PEN), tablet);
    assertThat(revision(tablet, order)).as("the tablet has not heard").isEqualTo(1);
    fill(tablet, order, MAGNETIC_BOARD);

    OrderView end = sameLinesEverywhere(order, bar, tablet, kitchen);
    assertThat(end.summary().items()).containsExactlyInAnyOrderElementsOf(
        items(LED_LAMP, DESK_PAD, WHITEBOARD_PEN, MAGNETIC_BOARD));
    assertThat(end.revision()).isEqualTo(3);
    assertCleanRun(bar, tablet, kitchen);
  }

  @Test
  void aQuantityChangeAndAnAddMeetingOnOneOrderBothStay() throws Exception {
    shop = open(Map.of());
    VirtualTerminal bar = shop.terminal(1);
    VirtualTerminal tablet = shop.terminal(2);
    String order = sharedOrder(bar, tablet);

    acceptedUnheard(bar, () -> fill(bar, order, OFFICE_CHAIR), tablet);
    // The tablet changes the lamp line (it holds it under its own uid, as a real POS does).
    tablet.edit(order, o -> o.setQuantity(firstLine(tablet, order), BigDecimal.valueOf(5)));

    OrderView end = sameLinesEverywhere(order, bar, tablet);
    assertThat(end.summary().items()).containsExactlyInAnyOrder(
        item(LED_LAMP, 5), item(DESK_PAD, 1), item(OFFICE_CHAIR, 1));
    assertCleanRun(bar, tablet);
  }

  @Test
  void theSameLineChangedOnTwoTerminalsTakesTheLaterArrival() throws Exception {
    shop = open(Map.of());
    VirtualTerminal bar = shop.terminal(1);
    VirtualTerminal tablet = shop.terminal(2);
    String order = sharedOrder(bar, tablet);

    acceptedUnheard(bar, () -> bar.edit(order,
        o -> o.setQuantity(firstLine(bar, order), BigDecimal.valueOf(3))), tablet);
    tablet.edit(order, o -> o.setQuantity(firstLine(tablet, order), BigDecimal.valueOf(7)));

    OrderView end = sameLinesEverywhere(order, bar, tablet);
    assertThat(end.summary().items()).containsExactlyInAnyOrder(
        item(LED_LAMP, 7), item(DESK_PAD, 1));
    assertCleanRun(bar, tablet);
  }

  @Test
  void aTerminalOfflineDuringConcurrentEditsShowsThemAllWhenBack() throws Exception {
    shop = open(Map.of());
    VirtualTerminal bar = shop.terminal(1);
    VirtualTerminal tablet = shop.terminal(2);
    VirtualTerminal kitchen = shop.terminal(3);
    String order = sharedOrder(bar, tablet, kitchen);

    kitchen.goOffline();
    acceptedUnheard(bar, () -> fill(bar, order, WHITEBOARD_PEN), tablet);
    fill(tablet, order, MAGNETIC_BOARD);
    eventually().until(tablet::isIdle);
    acceptedUnheard(tablet, () -> tablet.edit(order,
        o -> o.setQuantity(firstLine(tablet, order), BigDecimal.valueOf(2))), bar);
    fill(bar, order, DESK_ORGANIZER);
    kitchen.goOnline();

    OrderView end = sameLinesEverywhere(order, bar, tablet, kitchen);
    assertThat(end.summary().items()).containsExactlyInAnyOrder(item(LED_LAMP, 2),
        item(DESK_PAD, 1), item(WHITEBOARD_PEN, 1), item(MAGNETIC_BOARD, 1),
        item(DESK_ORGANIZER, 1));
    assertThat(bar.stats().conflictPopups() + tablet.stats().conflictPopups()).isZero();
  }

  @Test
  void threeTerminalsAddingAtOnceKeepAllThreeLines() throws Exception {
    shop = open(Map.of());
    VirtualTerminal bar = shop.terminal(1);
    VirtualTerminal tablet = shop.terminal(2);
    VirtualTerminal kitchen = shop.terminal(3);
    String order = sharedOrder(bar, tablet, kitchen);

    acceptedUnheard(bar, () -> fill(bar, order, WHITEBOARD_PEN), tablet, kitchen);
    acceptedUnheard(tablet, () -> fill(tablet, order, MAGNETIC_BOARD), kitchen);
    assertThat(revision(kitchen, order)).as("the kitchen has heard of neither").isEqualTo(1);
    fill(kitchen, order, OFFICE_CHAIR);

    OrderView end = sameLinesEverywhere(order, bar, tablet, kitchen);
    assertThat(end.summary().items()).containsExactlyInAnyOrderElementsOf(
        items(LED_LAMP, DESK_PAD, WHITEBOARD_PEN, MAGNETIC_BOARD, OFFICE_CHAIR));
    if (restarts() == Shop.Restarts.NEVER) { // a restart starts the meters afresh
      assertThat(shop.metricTotal("possync_merges_total")).isEqualTo(2.0);
    }
    assertCleanRun(bar, tablet, kitchen);
  }

  @Test
  void underRejectTheLateChangeIsLostButTerminalsAgree() throws Exception {
    shop = open(Map.of("sync.conflicts", "reject"));
    VirtualTerminal bar = shop.terminal(1);
    VirtualTerminal tablet = shop.terminal(2);
    VirtualTerminal kitchen = shop.terminal(3);
    String order = sharedOrder(bar, tablet, kitchen);

    acceptedUnheard(bar, () -> fill(bar, order, WHITEBOARD_PEN), tablet);
    fill(tablet, order, MAGNETIC_BOARD);

    OrderView end = sameLinesEverywhere(order, bar, tablet, kitchen);
    assertThat(List.of(items(LED_LAMP, DESK_PAD, WHITEBOARD_PEN),
        items(LED_LAMP, DESK_PAD, WHITEBOARD_PEN, MAGNETIC_BOARD)))
        .as("the tablet's line is lost, or comes back through its own resend")
        .anySatisfy(want -> assertThat(end.summary().items())
            .containsExactlyInAnyOrderElementsOf(want));
    assertThat(tablet.stats().conflictPopups()).isEqualTo(1);
  }
}
