package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two devices edit the same order at once, based on the same revision, each on another node:
 * one changes a line's quantity, the other adds a line. Whichever commits second was decided on
 * a copy the other node had moved past, so its commit is refused and it is decided again on the
 * reloaded order, where it must merge (sync.conflicts=merge): both changes survive, every round.
 * Two faults of the cluster's first version lost one of them: revisions that were counters (a
 * second decision on a stale copy reached the other node's number) and a decision taken again on
 * the message the first try had already changed.
 */
class ClusterMergeRaceTest {
  private static final String DB = "odoo12";
  private static final int ROUNDS = 25;

  @Test
  void concurrentEditsOnTwoNodesBothSurviveEveryRound() throws Exception {
    try (TestCluster cluster = TestCluster.start(2, Map.of())) {
      RpcClient a = new RpcClient(cluster.node(0).baseUri());
      RpcClient b = new RpcClient(cluster.node(1).baseUri());
      update(a, Pos.syncAll(1, 1, true));
      update(b, Pos.syncAll(2, 1, true));
      int refusedThenMerged = 0;
      for (int round = 0; round < ROUNDS; round++) {
        String uid = "00001-001-" + String.format("%04d", round + 1);
        JsonObject created = update(a, order(1, uid, 1, List.of(line(uid, 1, 31, 1))));
        assertThat(created.get("revision_ID").getAsLong()).isEqualTo(1);
        // Both based on revision 1, sent at once to different nodes.
        CompletableFuture<RpcClient.Answer> qty = a.callAsync("/pos_multi_session_sync/update",
            Pos.update(DB, 1, 2, order(1, uid, 1, List.of(line(uid, 1, 31, 5)))));
        CompletableFuture<RpcClient.Answer> add = b.callAsync("/pos_multi_session_sync/update",
            Pos.update(DB, 1, 2, order(2, uid, 1,
                List.of(line(uid, 1, 31, 1), line(uid, 2, 33, 1)))));
        for (RpcClient.Answer r : List.of(qty.get(20, TimeUnit.SECONDS),
            add.get(20, TimeUnit.SECONDS))) {
          assertThat(r.isError()).as("round %d: %s", round, r.body()).isFalse();
          if (r.result().getAsJsonObject().has("merged")) {
            refusedThenMerged++;
          }
        }
        List<String> lines = linesOf(stored(a, uid));
        assertThat(lines).as("round %d: both changes, merged", round)
            .containsExactlyInAnyOrder("31x5", "33x1");
      }
      assertThat(refusedThenMerged).as("every round merged one of the two").isEqualTo(ROUNDS);
    }
  }

  private static JsonObject update(RpcClient node, JsonObject message) throws Exception {
    RpcClient.Answer r = node.call("/pos_multi_session_sync/update", Pos.update(DB, 1, 2,
        message));
    assertThat(r.isError()).as(r.body().toString()).isFalse();
    return r.result().getAsJsonObject();
  }

  /** The order as stored, through an inline sync_all. */
  private static JsonObject stored(RpcClient node, String uid) throws Exception {
    JsonObject all = update(node, Pos.syncAll(1, 1, true));
    for (JsonElement o : all.getAsJsonObject("data").getAsJsonArray("orders")) {
      JsonObject data = o.getAsJsonObject().getAsJsonObject("data");
      if (data.get("uid").getAsString().equals(uid)) {
        return data;
      }
    }
    throw new AssertionError("order " + uid + " not stored: " + all);
  }

  private static List<String> linesOf(JsonObject data) {
    List<String> out = new ArrayList<>();
    for (JsonElement l : data.getAsJsonArray("lines")) {
      JsonObject line = l.getAsJsonArray().get(2).getAsJsonObject();
      out.add(line.get("product_id").getAsLong() + "x" + line.get("qty").getAsInt());
    }
    return out;
  }

  private static JsonObject line(String uid, int id, int product, int qty) {
    return JsonParser.parseString("{\"qty\":" + qty + ",\"price_unit\":2.5,\"product_id\":"
        + product + ",\"id\":" + id + ",\"uid\":\"" + uid + "-" + id + "\"}").getAsJsonObject();
  }

  private static JsonObject order(long posId, String uid, long revision, List<JsonObject> lines) {
    JsonArray entries = new JsonArray();
    for (JsonObject l : lines) {
      JsonArray e = new JsonArray();
      e.add(0);
      e.add(0);
      e.add(l);
      entries.add(e);
    }
    JsonObject message = Pos.updateOrder(posId, uid, 1, revision, 1, "n" + System.nanoTime(), 1);
    message.getAsJsonObject("data").add("lines", entries);
    return message;
  }
}
