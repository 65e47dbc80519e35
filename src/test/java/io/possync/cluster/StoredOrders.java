package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The orders of a multi-session as a node serves them, read with a {@code sync_all} answered
 * inline ({@code immediate_rerendering}) for a checking terminal, and the checks of a ledger of
 * acknowledged updates against them.
 */
final class StoredOrders {
  private StoredOrders() {}

  /**
   * Each order's revision and step ({@code x_step}) as "revision/step", by uid, through
   * {@code node}; checks that order numbers are unique.
   *
   * @param checkerPos the POS config the sync_all registers (one no writer uses)
   */
  static Map<String, String> read(RpcClient node, String db, long multiSessionId,
      long checkerPos) throws Exception {
    return read(node, db, multiSessionId, checkerPos, Set.of());
  }

  /**
   * Like {@link #read(RpcClient, String, long, long)}, leaving out of the check of numbers the
   * orders whose creation a writer sent again after losing the answer: the second request is an
   * update, stored with the number the writer sent, not the one the server gave.
   */
  static Map<String, String> read(RpcClient node, String db, long multiSessionId,
      long checkerPos, Set<String> renumbered) throws Exception {
    RpcClient.Answer answer = node.call("/pos_multi_session_sync/update",
        Pos.update(db, multiSessionId, 1, Pos.syncAll(checkerPos, 1, true)));
    assertThat(answer.isError()).as("sync_all: %s", answer.body()).isFalse();
    Map<String, String> orders = new HashMap<>();
    Set<Long> sequences = new HashSet<>();
    for (JsonElement o : answer.result().getAsJsonObject().getAsJsonObject("data")
        .getAsJsonArray("orders")) {
      JsonObject data = o.getAsJsonObject().getAsJsonObject("data");
      String uid = data.get("uid").getAsString();
      if (!renumbered.contains(uid)) {
        assertThat(sequences.add(data.get("sequence_number").getAsLong()))
            .as("order number of %s unique in multi-session %d", uid, multiSessionId).isTrue();
      }
      JsonElement step = data.get("x_step"); // absent from orders a test sends itself
      orders.put(uid, data.get("revision_ID").getAsLong() + "/"
          + (step == null ? -1 : step.getAsInt()));
    }
    return orders;
  }

  /**
   * The ledgers as "revision/step" by uid, for comparing with {@link #read}: with every update
   * seen through, each order must hold exactly its last acknowledged update.
   */
  static Map<String, String> expected(Collection<LedgerWriter.Acked> acked) {
    Map<String, String> out = new HashMap<>();
    for (LedgerWriter.Acked a : acked) {
      out.put(a.uid(), a.revision() + "/" + a.step());
    }
    return out;
  }

  /**
   * Where two views of orders ("revision/step" by uid) differ, one line per uid: a readable
   * message where comparing whole maps of hundreds of orders is not.
   */
  static List<String> differences(Map<String, String> expected, Map<String, String> actual) {
    Set<String> uids = new TreeSet<>(expected.keySet());
    uids.addAll(actual.keySet());
    List<String> out = new ArrayList<>();
    for (String uid : uids) {
      if (!Objects.equals(expected.get(uid), actual.get(uid))) {
        out.add(uid + ": expected " + expected.get(uid) + ", found " + actual.get(uid));
      }
    }
    return out;
  }
}
