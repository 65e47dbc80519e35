package io.possync.store;

import static io.possync.testing.Pos.syncAll;
import static io.possync.testing.Pos.updateOrder;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.possync.sync.MultiSessionKey;
import io.possync.pipeline.Pipeline;
import io.possync.sync.UpdateRequest;
import io.possync.testing.TestNode;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * 10,000 multi-sessions, each with a terminal and a 2 KB order: the heap they take stays within
 * {@code state.hot_bytes} plus a fixed overhead, because cold ones are evicted to the store.
 */
class HotStateBoundTest {
  private static final long HOT_BYTES = 16L << 20;
  /** What does not shrink with eviction: terminal registry, cache and store structures. */
  private static final long FIXED_OVERHEAD = 48L << 20;

  @Test
  void tenThousandMultiSessionsStayWithinTheConfiguredHeapBound() throws Exception {
    try (TestNode node = TestNode.start(Map.of("state.hot_bytes", Long.toString(HOT_BYTES)))) {
      Pipeline sync = node.node().pipeline();
      long before = usedHeapAfterGc();
      String note = "n".repeat(2000);
      int sessions = 10_000;
      List<CompletableFuture<?>> pending = new ArrayList<>();
      for (long ms = 1; ms <= sessions; ms++) {
        pending.add(sync.update(new UpdateRequest("heapdb", ms, 1, syncAll(ms, 1, false))));
        JsonObject order = updateOrder(ms, "00001-001-0001", 1, 1, 1, "h" + ms, 1);
        order.getAsJsonObject("data").addProperty("note", note);
        pending.add(sync.update(new UpdateRequest("heapdb", ms, 1, order)));
        if (pending.size() > 2000) {
          CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
          pending.clear();
        }
      }
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
      long after = usedHeapAfterGc();
      long grown = after - before;
      System.out.printf("HotStateBoundTest: %d multi-sessions, hot=%d kept, heap grew %.1f MiB"
              + " (bound %d MiB + overhead %d MiB)%n", sessions, sync.multiSessionCount(),
          grown / 1048576.0, HOT_BYTES >> 20, FIXED_OVERHEAD >> 20);
      assertThat(sync.multiSessionCount()).isLessThan(sessions);
      // Terminals leave memory with their multi-session (each has one here).
      org.awaitility.Awaitility.await().untilAsserted(() ->
          assertThat((long) sync.terminalCount()).isLessThanOrEqualTo(sync.multiSessionCount()));
      assertThat(grown).isLessThan(HOT_BYTES + FIXED_OVERHEAD);
      // Evicted ones come back whole when a terminal needs them.
      assertThat(sync.status(new MultiSessionKey("heapdb", 1))).isEmpty();
      JsonObject first = com.google.gson.JsonParser.parseString(
          sync.update(new UpdateRequest("heapdb", 1, 1, syncAll(1, 1, true))).get())
          .getAsJsonObject();
      assertThat(first.getAsJsonObject("data").getAsJsonArray("orders")).hasSize(1);
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
