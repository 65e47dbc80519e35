package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one PostgreSQL database: what one node commits, a poll held on the other gets at
 * once; ids are global and in order; decisions taken on either node on one multi-session see
 * each other (order numbers and message_IDs continue across nodes).
 */
class ClusterBasicsTest {
  private static final String DB = "odoo12";
  private TestCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.start(2, Map.of("poll.timeout", "20"));
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void aPollHeldOnOneNodeIsAnsweredByACommitOnTheOther() throws Exception {
    RpcClient a = new RpcClient(cluster.node(0).baseUri());
    RpcClient b = new RpcClient(cluster.node(1).baseUri());
    a.call("/pos_multi_session_sync/update", Pos.update(DB, 1, 2, Pos.syncAll(1, 1, false)));
    long last = lastId(b.call("/longpolling/poll", Pos.poll(DB, 1, 0)).result());
    CompletableFuture<RpcClient.Answer> held = b.callAsync("/longpolling/poll",
        Pos.poll(DB, 1, last));
    Thread.sleep(300); // the poll is parked on node 2 (pacing, not waiting for a result)
    assertThat(held).isNotDone();
    long sent = System.nanoTime();
    a.call("/pos_multi_session_sync/update", Pos.update(DB, 1, 2,
        Pos.updateOrder(1, "o1", 1, 1, 1, "n1", 1)));
    RpcClient.Answer answer = held.get(5, TimeUnit.SECONDS);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
    JsonArray got = answer.result().getAsJsonArray();
    assertThat(got).isNotEmpty();
    assertThat(got.get(0).getAsJsonObject().get("id").getAsLong()).isGreaterThan(last);
    assertThat(millis).as("answered within the safety net of a missed NOTIFY").isLessThan(900);
  }

  @Test
  void decisionsOnEitherNodeContinueEachOther() throws Exception {
    List<RpcClient> nodes = List.of(new RpcClient(cluster.node(0).baseUri()),
        new RpcClient(cluster.node(1).baseUri()));
    nodes.get(0).call("/pos_multi_session_sync/update",
        Pos.update(DB, 1, 2, Pos.syncAll(1, 1, false)));
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      RpcClient n = nodes.get(i % 2);
      RpcClient.Answer r = n.call("/pos_multi_session_sync/update", Pos.update(DB, 1, 2,
          Pos.updateOrder(1, "o" + i, i + 1, 1, 1, "n" + i, 1)));
      assertThat(r.isError()).as("update %d: %s", i, r.body()).isFalse();
      ids.add(r.result().getAsJsonObject().get("order_ID").getAsLong());
    }
    assertThat(ids).as("order numbers continue across nodes").doesNotHaveDuplicates();
    RpcClient.Answer polled = nodes.get(1).call("/longpolling/poll", Pos.poll(DB, 1, 0));
    List<Long> notificationIds = new ArrayList<>();
    List<Long> messageIds = new ArrayList<>();
    for (JsonElement e : polled.result().getAsJsonArray()) {
      notificationIds.add(e.getAsJsonObject().get("id").getAsLong());
      JsonElement mid = e.getAsJsonObject().getAsJsonObject("message").getAsJsonObject("data")
          .get("message_ID");
      if (mid != null) {
        messageIds.add(mid.getAsLong());
      }
    }
    assertThat(notificationIds).isSorted().doesNotHaveDuplicates();
    assertThat(messageIds).as("%s", polled.body()).isSorted().doesNotHaveDuplicates();
  }

  private static long lastId(JsonElement polled) {
    long last = 0;
    for (JsonElement e : polled.getAsJsonArray()) {
      last = Math.max(last, e.getAsJsonObject().get("id").getAsLong());
    }
    return last;
  }
}
