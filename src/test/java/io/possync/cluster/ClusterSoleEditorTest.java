package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Terminals of one multi-session each edit their own order at the same time, each request to one
 * of three nodes picked at random: decisions on the multi-session are taken on every node at
 * once, and most are refused at commit as stale and taken again on fresh state. Nobody else
 * touches a terminal's order, so every edit must be accepted with the next revision, and the
 * orders must be numbered 1 to N: a decision taken again must start from the message as it came
 * and from the state as stored, never from what a failed attempt left behind.
 */
class ClusterSoleEditorTest {
  private static final int TERMINALS = 4;
  private static final int ORDERS = 6;
  private static final int EDITS = 6;
  private static final String DB = "odoo12";
  private TestCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.start(3, Map.of("sync.conflicts", "reject"));
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void terminalsEditingTheirOwnOrdersOnRandomNodesAreNeverRefused() throws Exception {
    List<RpcClient> nodes = cluster.nodes().stream().map(n -> new RpcClient(n.baseUri())).toList();
    for (int pos = 1; pos <= TERMINALS; pos++) {
      nodes.get(0).call("/pos_multi_session_sync/update",
          Pos.update(DB, 1, 100 + pos, Pos.syncAll(pos, 1, false)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(TERMINALS);
    List<Long> numbers = new CopyOnWriteArrayList<>();
    List<Future<?>> work = new ArrayList<>();
    for (int p = 1; p <= TERMINALS; p++) {
      int pos = p;
      work.add(pool.submit(() -> {
        for (int k = 1; k <= ORDERS; k++) {
          String uid = "o" + pos + "-" + k;
          for (long base = 0; base < EDITS; base++) { // 0: the creation, sent with revision 1
            RpcClient node = nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
            JsonObject r = node.call("/pos_multi_session_sync/update", Pos.update(DB, 1,
                100 + pos, Pos.updateOrder(pos, uid, 9999, Math.max(1, base), 1,
                    uid + "-" + base, base))).result().getAsJsonObject();
            assertThat(r.get("action").getAsString()).as("%s based on %d: %s", uid, base, r)
                .isEqualTo("update_revision_ID");
            assertThat(r.get("revision_ID").getAsLong()).isEqualTo(base + 1);
            if (base == 0) {
              numbers.add(r.get("order_ID").getAsLong());
            }
          }
        }
        return null;
      }));
    }
    for (Future<?> f : work) {
      f.get(60, TimeUnit.SECONDS);
    }
    assertThat(numbers).as("order numbers: each once, none skipped")
        .containsExactlyInAnyOrderElementsOf(
            LongStream.rangeClosed(1, TERMINALS * ORDERS).boxed().toList());
    pool.shutdown();
  }
}
