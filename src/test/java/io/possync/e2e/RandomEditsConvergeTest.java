package io.possync.e2e;

import static io.possync.e2e.Shop.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.possync.terminal.Latency;
import io.possync.terminal.OrderView;
import io.possync.terminal.VirtualTerminal;
import io.possync.testing.PrometheusText;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many terminals edit a few shared orders at random for a while, each with its own slow link so
 * that their updates keep crossing (under {@code sync.conflicts=merge}); then everything goes
 * quiet. Afterwards every terminal shows exactly what the server has (as a terminal that loads
 * afresh sees it), and every line anyone added is still there unless someone removed it.
 *
 * <p>Each added line has a price of its own, so lines can be told apart by price on every
 * terminal whatever uid a terminal holds them under. Seeded: {@code -Dpossync.edits.seed=S}
 * replays a run's choices (the timing of the network is not replayed).
 */
class RandomEditsConvergeTest {
  private static final int TERMINALS = 6;
  private static final int ORDERS = 3;
  private static final Duration RUSH = Duration.ofSeconds(6);

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void terminalsEditingSharedOrdersAtRandomEndWithTheServersOrdersAndNoLostLine()
      throws Exception {
    long seed = Long.getLong("possync.edits.seed", System.nanoTime());
    System.out.println("RandomEditsConvergeTest seed " + seed);
    Random random = new Random(seed);
    try (Shop shop = Shop.open()) {
      List<VirtualTerminal> terminals = new ArrayList<>();
      for (int pos = 1; pos <= TERMINALS; pos++) {
        terminals.add(shop.terminal(pos));
      }
      VirtualTerminal opener = terminals.get(0);
      List<String> orders = new ArrayList<>();
      Set<BigDecimal> added = ConcurrentHashMap.newKeySet();
      Set<BigDecimal> removed = ConcurrentHashMap.newKeySet();
      int[] nextPrice = {1};
      for (int i = 0; i < ORDERS; i++) {
        String uid = opener.newOrder();
        BigDecimal price = price(nextPrice[0]++);
        opener.addProduct(uid, 50, price.doubleValue());
        added.add(price);
        orders.add(uid);
      }
      eventually().until(() -> terminals.stream().allMatch(
          t -> t.isIdle() && orders.stream().allMatch(o -> t.order(o).isPresent())));
      // A terminal that only listens: every line the server accepted is in a broadcast to it.
      // A line a terminal added but never sent is not acknowledged: the POS can lose such a line
      // by itself (an answer to an earlier update marks it as known to the server before its own
      // update has left; see docs/conflicts.md).
      Set<BigDecimal> acknowledged = ConcurrentHashMap.newKeySet();
      VirtualTerminal listener = shop.terminal(TERMINALS + 1);
      listener.addListener(new io.possync.terminal.TerminalListener() {
        @Override
        public void onMessage(VirtualTerminal t, io.possync.terminal.ReceivedMessage m) {
          acknowledged.addAll(linePrices(m.message()));
        }
      });

      // What each terminal was sent, for the failure message.
      Map<VirtualTerminal, List<String>> journal = new ConcurrentHashMap<>();
      for (VirtualTerminal t : terminals) {
        t.addListener(new io.possync.terminal.TerminalListener() {
          @Override
          public void onMessage(VirtualTerminal at, io.possync.terminal.ReceivedMessage m) {
            com.google.gson.JsonObject data = m.message().getAsJsonObject("data");
            journal.computeIfAbsent(at, k -> java.util.Collections.synchronizedList(
                new ArrayList<>())).add(m.action() + " " + m.orderUid() + " mid=" + m.messageId()
                + " rev=" + (data.has("revision_ID") ? data.get("revision_ID") : "-")
                + " from=" + m.message().get("session_id") + " lines=" + linePrices(m.message())
                + " uids=" + lineUids(m.message()));
          }
        });
      }
      ExecutorService workers = Executors.newFixedThreadPool(TERMINALS);
      List<Future<?>> running = new ArrayList<>();
      long end = System.nanoTime() + RUSH.toNanos();
      for (VirtualTerminal t : terminals) {
        Random own = new Random(random.nextLong());
        int firstPrice;
        synchronized (nextPrice) {
          firstPrice = nextPrice[0];
          nextPrice[0] += 10_000;
        }
        running.add(workers.submit(() -> {
          int price = firstPrice;
          t.setLatency(Latency.slowPolls(Duration.ofMillis(own.nextInt(300))));
          String order = orders.get(own.nextInt(orders.size()));
          while (System.nanoTime() < end) {
            // A waiter stays with one table for a few taps, then goes to another.
            if (own.nextInt(5) == 0) {
              order = orders.get(own.nextInt(orders.size()));
            }
            OrderView shown = t.order(order).orElse(null);
            if (shown == null) { // being rebuilt from a sync_all this very moment
              Thread.sleep(5);
              continue;
            }
            List<OrderView.Line> lines = shown.lines();
            int choice = own.nextInt(10);
            if (choice < 5 || lines.isEmpty()) {
              BigDecimal p = price(price++);
              added.add(p);
              t.addProduct(order, 50 + own.nextInt(4), p.doubleValue());
            } else if (choice < 8) {
              OrderView.Line line = lines.get(own.nextInt(lines.size()));
              t.edit(order, o -> o.setQuantity(line.uid(), BigDecimal.valueOf(1 + own.nextInt(9))));
            } else {
              OrderView.Line line = lines.get(own.nextInt(lines.size()));
              removed.add(line.priceUnit().stripTrailingZeros());
              t.edit(order, o -> o.removeLine(line.uid()));
            }
            Thread.sleep(50 + own.nextInt(150));
            if (own.nextInt(20) == 0) {
              t.setLatency(Latency.slowPolls(Duration.ofMillis(own.nextInt(300))));
            }
          }
          t.setLatency(Latency.NONE);
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get(60, TimeUnit.SECONDS);
      }
      workers.shutdown();

      // Quiet. A terminal that loads now shows the server's orders.
      VirtualTerminal witness = shop.terminal(TERMINALS + 2);
      for (String order : orders) {
        List<VirtualTerminal> all = new ArrayList<>(terminals);
        all.add(listener);
        all.add(witness);
        try {
          await(order, all);
        } catch (AssertionError | RuntimeException e) {
          for (VirtualTerminal t : terminals) {
            List<String> j = journal.getOrDefault(t, List.of());
            System.out.println("journal of " + t + ": " + j.subList(Math.max(0, j.size() - 8),
                j.size()) + " stats " + t.stats() + " error " + t.lastHandlerError()
                + " poll outstanding " + t.isPollOutstanding() + " bus online "
                + t.isBusOnline() + " idle " + t.isIdle() + " outstanding "
                + t.outstandingRequests());
          }
          for (OrderView.Line l : witness.order(order).orElseThrow().lines()) {
            long same = witness.order(order).orElseThrow().lines().stream()
                .filter(x -> x.priceUnit().compareTo(l.priceUnit()) == 0).count();
            if (same > 1) {
              System.out.println("witness has " + l + " " + same + " times; terminals: "
                  + terminals.stream().map(t -> t.order(order).orElseThrow().lines().stream()
                      .filter(x -> x.priceUnit().compareTo(l.priceUnit()) == 0)
                      .map(OrderView.Line::uid).toList()).toList());
            }
          }
          for (String o : orders) {
            List<BigDecimal> server = prices(witness.order(o).orElseThrow());
            for (VirtualTerminal t : terminals) {
              List<BigDecimal> mine = prices(t.order(o).orElseThrow());
              List<BigDecimal> missing = server.stream().filter(p -> !mine.contains(p)).toList();
              if (!missing.isEmpty()) {
                System.out.println(t + " lacks " + missing + " of " + o + "; removed by someone: "
                    + missing.stream().filter(removed::contains).toList());
              }
            }
          }
          throw e;
        }
        List<BigDecimal> prices = prices(witness.order(order).orElseThrow());
        assertThat(prices).as("no line twice in %s (seed %d)", order, seed).doesNotHaveDuplicates();
      }
      List<BigDecimal> present = new ArrayList<>();
      for (String order : orders) {
        present.addAll(prices(witness.order(order).orElseThrow()));
      }
      for (BigDecimal p : acknowledged) {
        assertThat(present.contains(p) || removed.contains(p))
            .as("line priced %s was accepted and never removed, but is gone (seed %d)", p, seed)
            .isTrue();
      }
      List<BigDecimal> unsentLines = added.stream()
          .filter(p -> !acknowledged.contains(p) && !removed.contains(p)).sorted().toList();
      long unsent = unsentLines.size();
      System.out.println("RandomEditsConvergeTest: never reached the server: " + unsentLines);
      assertThat(added).as("every line on the server was added by someone").containsAll(present);
      double merges = PrometheusText.parse(shop.node().node().metrics().scrape())
          .value("possync_merges_total");
      long refused = terminals.stream().mapToLong(t -> t.stats().revisionErrors()).sum();
      System.out.printf("RandomEditsConvergeTest: %d lines added (%d never reached the server),"
          + " %d removed, %.0f merges, %d refused%n", added.size(), unsent, removed.size(), merges,
          refused);
      // The POS's own race, not the server's: when an update of an order is answered, the POS
      // marks every line of that order as known to the server, also one added after that update
      // left, whose own update still waits behind another order's in the POS's one queue; a
      // message about the order that comes first then takes that line away (pos_multi_session.js
      // 12.0, set_orderlines_offline). Bounded here so that a server-side loss cannot hide in it.
      assertThat(unsent).as("lines lost on the terminals before they were sent")
          .isLessThanOrEqualTo(added.size() / 20);
      assertThat(merges).as("the rush made updates cross, or it tested nothing").isPositive();
      for (VirtualTerminal t : terminals) {
        assertThat(t.stats().conflictPopups()).as("conflict popups on %s", t).isZero();
        assertThat(t.lastHandlerError()).as("handler error on %s", t).isEmpty();
      }
    }
  }

  /** Every terminal shows the order as the witness does: same lines by price, qty and revision. */
  private static void await(String order, List<VirtualTerminal> all) {
    VirtualTerminal witness = all.get(all.size() - 1);
    eventually().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      OrderView want = witness.order(order).orElseThrow();
      for (VirtualTerminal t : all) {
        OrderView seen = t.order(order).orElseThrow(() -> new AssertionError(t + " lacks " + order));
        assertThat(view(seen)).as("%s on %s", order, t).isEqualTo(view(want));
        assertThat(seen.revision()).as("revision of %s on %s", order, t)
            .isEqualTo(want.revision());
        assertThat(t.isIdle()).as("%s idle", t).isTrue();
      }
    });
  }

  private static List<String> view(OrderView o) {
    return o.lines().stream().sorted(Comparator.comparing(OrderView.Line::priceUnit))
        .map(l -> l.productId() + " x" + l.qty().stripTrailingZeros().toPlainString() + " @"
            + l.priceUnit().stripTrailingZeros().toPlainString()).toList();
  }

  private static List<BigDecimal> prices(OrderView o) {
    return o.lines().stream().map(l -> l.priceUnit().stripTrailingZeros()).toList();
  }

  /** The prices of the lines of an update_order or of the orders of a sync_all. */
  private static List<BigDecimal> linePrices(com.google.gson.JsonObject message) {
    List<BigDecimal> out = new ArrayList<>();
    com.google.gson.JsonObject data = message.getAsJsonObject("data");
    List<com.google.gson.JsonObject> orders = new ArrayList<>();
    if (data.has("orders")) {
      data.getAsJsonArray("orders").forEach(o -> orders.add(o.getAsJsonObject()
          .getAsJsonObject("data")));
    } else {
      orders.add(data);
    }
    for (com.google.gson.JsonObject o : orders) {
      if (o.has("lines")) {
        o.getAsJsonArray("lines").forEach(l -> out.add(l.getAsJsonArray().get(2).getAsJsonObject()
            .get("price_unit").getAsBigDecimal().stripTrailingZeros()));
      }
    }
    return out;
  }

  private static List<String> lineUids(com.google.gson.JsonObject message) {
    List<String> out = new ArrayList<>();
    com.google.gson.JsonObject data = message.getAsJsonObject("data");
    if (data.has("lines")) {
      data.getAsJsonArray("lines").forEach(l -> out.add(l.getAsJsonArray().get(2)
          .getAsJsonObject().get("uid").getAsString()));
    }
    return out;
  }

  /** A price no other line has: 0.01 steps from 10. */
  private static BigDecimal price(int n) {
    return new BigDecimal(1000 + n).movePointLeft(2).stripTrailingZeros();
  }
}
