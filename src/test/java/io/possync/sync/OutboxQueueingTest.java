package io.possync.sync;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Which accepted removals queue work for the Odoo write-back, in the same outcome as the
 * removal itself (so in the same commit).
 */
class OutboxQueueingTest {
  private final List<Outcome> outcomes = new ArrayList<>();
  private final RulesHarness sync = new RulesHarness(outcomes::add, new OutboxPolicy() {
    @Override
    public boolean delivers(String dbname) {
      return dbname.equals("shop");
    }

    @Override
    public boolean reconciles(String dbname) {
      return dbname.equals("shop");
    }
  }, Clock.systemUTC(), Duration.ofDays(7), Integer.MAX_VALUE, ConflictPolicy.MERGE);

  private static final String ORDER_DATA = "{\"id\":\"00005-001-0007\",\"data\":{\"name\":"
      + "\"Order 00005-001-0007\",\"uid\":\"00005-001-0007\",\"revision_ID\":1,\"run_ID\":1,"
      + "\"amount_total\":8.05,\"x_tip\":1.10,\"lines\":[]}}";

  @Test
  void aPaidOfflineOrderIsQueuedWithTheTerminalsOwnBytesAndNotBroadcast() throws Exception {
    register("shop", 5);
    JsonObject removal = removal("00005-001-0007", 1, true);
    removal.getAsJsonObject("data").addProperty("order_data", ORDER_DATA);
    send("shop", removal);

    Outcome last = outcomes.get(outcomes.size() - 1);
    assertThat(last.changes().outbox()).containsExactly(new OutboxEntry("shop", "00005-001-0007",
        OutboxEntry.Kind.DELIVER, "Order 00005-001-0007", ORDER_DATA));
    assertThat(last.notifications()).hasSize(1);
    assertThat(last.notifications().get(0).messageJson()).doesNotContain("order_data");

    // The terminal announces it again at its next resync: the store keys it, the queue says it
    // again (same key), and nothing else changes.
    JsonObject again = removal("00005-001-0007", 1, true);
    again.getAsJsonObject("data").addProperty("order_data", ORDER_DATA);
    send("shop", again);
    assertThat(outcomes.get(outcomes.size() - 1).changes().outbox()).extracting(OutboxEntry::uid)
        .containsExactly("00005-001-0007");
  }

  @Test
  void aRefusedRemovalQueuesNothing() throws Exception {
    register("shop", 5);
    JsonObject removal = removal("00005-001-0008", 3, true); // unknown order, revision 3: conflict
    removal.getAsJsonObject("data").addProperty("order_data",
        ORDER_DATA.replace("0007", "0008").replace("\"revision_ID\":1", "\"revision_ID\":3"));
    JsonObject answer = send("shop", removal).getAsJsonObject();

    assertThat(answer.get("action").getAsString()).isEqualTo("revision_error");
    assertThat(outcomes.get(outcomes.size() - 1).changes().outbox()).isEmpty();
  }

  @Test
  void anOrderFinalizedOnlineIsOnlyQueuedForReconciliationByItsName() throws Exception {
    register("shop", 5);
    send("shop", JsonParser.parseString("{\"action\":\"update_order\",\"data\":{\"uid\":\"A\","
        + "\"name\":\"Order A\",\"revision_ID\":1,\"run_ID\":1,\"sequence_number\":1,\"lines\":[],"
        + "\"nonce\":\"u1\"},\"session_id\":5,\"login_number\":1}").getAsJsonObject());
    send("shop", removal("A", 1, true));
    assertThat(outcomes.get(outcomes.size() - 1).changes().outbox()).containsExactly(
        new OutboxEntry("shop", "A", OutboxEntry.Kind.RECONCILE, "Order A", null));

    // Removed without being paid (finalized false): nothing to check in Odoo.
    send("shop", JsonParser.parseString("{\"action\":\"update_order\",\"data\":{\"uid\":\"B\","
        + "\"name\":\"Order B\",\"revision_ID\":1,\"run_ID\":1,\"sequence_number\":2,\"lines\":[],"
        + "\"nonce\":\"u2\"},\"session_id\":5,\"login_number\":1}").getAsJsonObject());
    send("shop", removal("B", 1, false));
    assertThat(outcomes.get(outcomes.size() - 1).changes().outbox()).isEmpty();
  }

  @Test
  void aDatabaseWithoutOdooBackendQueuesNothing() throws Exception {
    register("elsewhere", 5);
    JsonObject removal = removal("00005-001-0007", 1, true);
    removal.getAsJsonObject("data").addProperty("order_data", ORDER_DATA);
    send("elsewhere", removal);
    assertThat(outcomes.get(outcomes.size() - 1).changes().outbox()).isEmpty();
  }

  private void register(String db, long posId) throws Exception {
    send(db, JsonParser.parseString("{\"action\":\"sync_all\",\"data\":{\"run_ID\":1,\"pos_id\":"
        + posId + ",\"nonce\":\"s\"},\"session_id\":5,\"login_number\":1}").getAsJsonObject());
  }

  private static JsonObject removal(String uid, long revision, boolean finalized) {
    return JsonParser.parseString("{\"action\":\"remove_order\",\"data\":{\"uid\":\"" + uid
        + "\",\"revision_ID\":" + revision + ",\"finalized\":" + finalized + ",\"run_ID\":1,"
        + "\"pos_id\":5,\"nonce\":\"r" + uid + revision + "\"},\"session_id\":5,"
        + "\"login_number\":1}").getAsJsonObject();
  }

  private com.google.gson.JsonElement send(String db, JsonObject message) throws Exception {
    return sync.update(new UpdateRequest(db, 1, 1, message)).get();
  }
}
