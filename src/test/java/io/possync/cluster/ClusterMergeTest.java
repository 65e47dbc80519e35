package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Under {@code sync.conflicts=merge} a late update is merged against the revision it was based on
 * (docs/conflicts.md) whichever node takes it: without a load balancer's stickiness, the node
 * that takes the late update is rarely the one that took the revisions it is based on, so the
 * bases must not live only in that node's memory.
 */
class ClusterMergeTest {
  private static final String DB = "odoo12";
  private TestCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.start(2, Map.of("sync.conflicts", "merge"));
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void aLateUpdateIsMergedOnANodeThatDidNotTakeTheRevisionsItIsBasedOn() throws Exception {
    RpcClient bar = new RpcClient(cluster.node(0).baseUri());
    RpcClient tablet = new RpcClient(cluster.node(1).baseUri());
    bar.call("/pos_multi_session_sync/update", Pos.update(DB, 1, 101, Pos.syncAll(1, 1, false)));
    tablet.call("/pos_multi_session_sync/update",
        Pos.update(DB, 1, 102, Pos.syncAll(2, 1, false)));
    // Revisions 1 and 2 are taken on node 1; the tablet has heard of revision 1 only.
    assertThat(update(bar, 101, Pos.updateOrder(1, "o1", 1, 1, 1, "n1", 1)))
        .containsEntry("revision_ID", 1L);
    assertThat(update(bar, 101, Pos.updateOrder(1, "o1", 1, 1, 1, "n2", 2)))
        .containsEntry("revision_ID", 2L);

    // The tablet adds a line to revision 1, on node 2.
    JsonObject late = Pos.updateOrder(2, "o1", 1, 1, 1, "n3", 1);
    late.addProperty("session_id", 2);
    JsonObject line = late.getAsJsonObject("data").getAsJsonArray("lines").get(0)
        .getAsJsonArray().get(2).getAsJsonObject().deepCopy();
    line.addProperty("uid", "o1-tablet");
    line.addProperty("product_id", 32);
    line.addProperty("id", 2);
    JsonArray entry = new JsonArray();
    entry.add(0);
    entry.add(0);
    entry.add(line);
    late.getAsJsonObject("data").getAsJsonArray("lines").add(entry);

    Map<String, Object> answer = update(tablet, 102, late);
    assertThat(answer).as("the late update, merged").containsEntry("action", "update_revision_ID")
        .containsEntry("merged", true);
    assertThat(products(bar, 1)).as("the bar's quantity and the tablet's line")
        .containsExactlyInAnyOrder("31 x 2", "32 x 1");
  }

  /**
   * The store keeps the bases of the last 32 revisions of a draft (what one node keeps in memory),
   * and none once the order is removed: nothing merges into it.
   */
  @Test
  void theStoreKeepsTheLast32BasesOfADraftAndNoneOfARemovedOrder() throws Exception {
    List<RpcClient> nodes = List.of(new RpcClient(cluster.node(0).baseUri()),
        new RpcClient(cluster.node(1).baseUri()));
    nodes.get(0).call("/pos_multi_session_sync/update",
        Pos.update(DB, 1, 101, Pos.syncAll(1, 1, false)));
    update(nodes.get(0), 101, Pos.updateOrder(1, "o1", 1, 1, 1, "n1", 1));
    for (long base = 1; base <= 40; base++) { // each revision taken on the other node
      assertThat(update(nodes.get((int) base % 2), 101,
          Pos.updateOrder(1, "o1", 1, base, 1, "n" + (base + 1), base + 1)))
          .containsEntry("revision_ID", base + 1);
    }
    // Every accepted message is kept; the retention sweep trims a draft's to the last 32 before
    // the current one, and drops a removed order's.
    assertThat(bases()).isEqualTo(LongStream.rangeClosed(1, 41).boxed().toList());
    cluster.node(1).node().sweep();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> bases().equals(LongStream.rangeClosed(41 - 32, 41).boxed().toList()));

    assertThat(update(nodes.get(0), 101, Pos.removeOrder(1, "o1", 41, 1, "gone")))
        .doesNotContainEntry("action", "revision_error");
    cluster.node(0).node().sweep();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> bases().isEmpty());
  }

  private List<Long> bases() throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(cluster.url(),
            io.possync.testing.PostgresServer.shared().user(),
            io.possync.testing.PostgresServer.shared().password());
        java.sql.ResultSet rs = c.createStatement().executeQuery(
            "SELECT revision FROM order_versions WHERE uid = 'o1' ORDER BY revision")) {
      List<Long> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
      return out;
    }
  }

  private static Map<String, Object> update(RpcClient node, long userId, JsonObject message)
      throws Exception {
    RpcClient.Answer a = node.call("/pos_multi_session_sync/update",
        Pos.update(DB, 1, userId, message));
    assertThat(a.isError()).as("%s", a.body()).isFalse();
    JsonObject result = a.result().getAsJsonObject();
    Map<String, Object> out = new java.util.HashMap<>();
    for (Map.Entry<String, JsonElement> e : result.entrySet()) {
      JsonElement v = e.getValue();
      out.put(e.getKey(), v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber() ? v.getAsLong()
          : v.isJsonPrimitive() && v.getAsJsonPrimitive().isBoolean() ? v.getAsBoolean()
          : v.isJsonPrimitive() ? v.getAsString() : v.toString());
    }
    return out;
  }

  /** The lines of order o1 as {@code product x qty}, from an inline sync_all on {@code node}. */
  private static List<String> products(RpcClient node, long posId) throws Exception {
    RpcClient.Answer a = node.call("/pos_multi_session_sync/update",
        Pos.update(DB, 1, 100 + posId, Pos.syncAll(posId, 1, true)));
    List<String> out = new ArrayList<>();
    for (JsonElement o : a.result().getAsJsonObject().getAsJsonObject("data")
        .getAsJsonArray("orders")) {
      for (JsonElement l : o.getAsJsonObject().getAsJsonObject("data").getAsJsonArray("lines")) {
        JsonObject values = l.getAsJsonArray().get(2).getAsJsonObject();
        out.add(values.get("product_id").getAsLong() + " x " + values.get("qty").getAsLong());
      }
    }
    return out;
  }
}
