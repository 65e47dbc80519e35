package io.possync.sync;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxPolicy;
import io.possync.sync.RecordingSink.Sent;
import io.possync.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link RulesHarness} does with an update based on an older revision (docs/conflicts.md):
 * the answer to the late writer, the broadcast to the others, the copy the writer applies, and
 * the cases that are still refused. POS 1 (session 11) and POS 2 (session 12) share one order.
 */
class ConflictMergeTest {
  private static final MultiSessionKey SHOP = new MultiSessionKey("shop", 1);
  private static final String ORDER = "00011-001-0001";

  private final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T08:00:00Z"));
  private RecordingSink sink = new RecordingSink();

  /** The Odoo write-back is on for every database. */
  private static final OutboxPolicy WRITE_BACK = new OutboxPolicy() {
    @Override
    public boolean delivers(String dbname) {
      return true;
    }

    @Override
    public boolean reconciles(String dbname) {
      return true;
    }
  };

  private RulesHarness service(ConflictPolicy policy) {
    RulesHarness s = new RulesHarness(sink, WRITE_BACK, clock, Duration.ofDays(7),
        Integer.MAX_VALUE, policy);
    for (long pos : new long[] {1, 2}) {
      send(s, """
          {"action":"sync_all","data":{"run_ID":1,"pos_id":%d,"nonce":"reg"},
           "immediate_rerendering":true,"session_id":%d,"login_number":1}"""
          .formatted(pos, 10 + pos));
    }
    return s;
  }

  @Test
  void lateAddIsMergedAndTheWriterKeepsItsRevisionUntilTheMergedOrderReachesIt() {
    RulesHarness sync = service(ConflictPolicy.MERGE);
    send(sync, update(1, 1, "a:1"));
    send(sync, update(1, 1, "a:1 b:1")); // revision 2, by POS 1
    drain();

    // POS 2 adds c, still based on revision 1.
    JsonObject answer = send(sync, update(2, 1, "a:1 c:1")).getAsJsonObject();

    assertThat(answer).isEqualTo(json("""
        {"action":"update_revision_ID","revision_ID":1,"uid":"00011-001-0001","order_ID":1,
         "run_ID":1,"merged":true}"""));
    List<Sent> sent = drain();
    assertThat(sent).extracting(Sent::channel).containsExactly(
        channel(1), channel(2), channel(2));
    // Everyone gets revision 3 with all lines; the new line is not flagged, nothing changed.
    for (Sent s : sent.subList(0, 2)) {
      assertThat(s.message().get("action").getAsString()).isEqualTo("update_order");
      assertThat(lines(data(s.message()))).isEqualTo("a:1 b:1 c:1");
      assertThat(data(s.message()).get("revision_ID").getAsLong()).isEqualTo(3);
    }
    // POS 2 skips that (its own session and login) but applies a sync_all for the order.
    JsonObject copy = sent.get(2).message();
    assertThat(copy.get("action").getAsString()).isEqualTo("sync_all");
    JsonObject copyData = copy.getAsJsonObject("data");
    assertThat(copyData.get("uid").getAsString()).isEqualTo(ORDER);
    assertThat(copyData.get("session_id").getAsLong()).isEqualTo(12);
    assertThat(copyData.get("login_number").getAsLong()).isEqualTo(1);
    assertThat(copyData.get("message_ID").getAsLong())
        .isEqualTo(data(sent.get(1).message()).get("message_ID").getAsLong() + 1);
    JsonObject entry = copyData.getAsJsonArray("orders").get(0).getAsJsonObject()
        .getAsJsonObject("data");
    assertThat(entry.get("revision_ID").getAsLong()).isEqualTo(3);
    assertThat(lines(entry)).isEqualTo("a:1 b:1 c:1");
    assertThat(flagged(entry)).containsExactly("b"); // POS 2 lacks b; a and c are as it sent them

    // An edit POS 2 makes before the copy reaches it still carries revision 1: merged again.
    send(sync, update(2, 1, "a:1 c:1 d:1"));
    assertThat(lines(data(drain().get(0).message()))).isEqualTo("a:1 b:1 c:1 d:1");
  }

  @Test
  void theOthersAreToldWhichLinesTheMergeChanged() {
    RulesHarness sync = service(ConflictPolicy.MERGE);
    send(sync, update(1, 1, "a:1 b:1"));
    send(sync, update(1, 1, "a:4 b:1"));
    drain();

    send(sync, update(2, 1, "a:1 b:6"));

    JsonObject toPos1 = drain().get(0).message();
    assertThat(lines(data(toPos1))).isEqualTo("a:4 b:6");
    assertThat(flagged(data(toPos1))).containsExactly("b");
  }

  @Test
  void underRejectALateUpdateIsRefusedAsTheOriginalDoes() {
    RulesHarness sync = service(ConflictPolicy.REJECT);
    send(sync, update(1, 1, "a:1"));
    send(sync, update(1, 1, "a:1 b:1"));
    drain();

    assertThat(send(sync, update(2, 1, "a:1 c:1"))).isEqualTo(json("""
        {"action":"revision_error","order_uid":"00011-001-0001","state":"draft"}"""));
    assertThat(drain()).isEmpty();
  }

  @Test
  void aBaseNoLongerKeptFallsBackToRevisionError() {
    RulesHarness sync = service(ConflictPolicy.MERGE);
    send(sync, update(1, 1, "a:1"));
    for (int rev = 1; rev <= OrderUpdates.KEPT_REVISIONS + 1; rev++) {
      send(sync, update(1, rev, "a:" + (rev + 1)));
    }
    drain();

    // Revision 1 is 17 revisions back: gone; revision 2 is still kept.
    assertThat(send(sync, update(2, 1, "a:1 c:1"))).isEqualTo(json("""
        {"action":"revision_error","order_uid":"00011-001-0001","state":"draft"}"""));
    assertThat(send(sync, update(2, 2, "a:2 c:1")).getAsJsonObject().get("merged")).isNotNull();
  }

  @Test
  void anOrderRemovedMeanwhileCannotBeMerged() {
    RulesHarness sync = service(ConflictPolicy.MERGE);
    send(sync, update(1, 1, "a:1"));
    send(sync, update(1, 1, "a:2"));
    send(sync, remove(1, 2, false));
    drain();

    assertThat(send(sync, update(2, 1, "a:1 c:1"))).isEqualTo(json("""
        {"action":"revision_error","order_uid":"00011-001-0001","state":"deleted"}"""));
    assertThat(drain()).isEmpty();
  }

  @Test
  void anOrderFinalizedMeanwhileCannotBeMergedEither() {
    RulesHarness sync = service(ConflictPolicy.MERGE);
    send(sync, update(1, 1, "a:1"));
    send(sync, update(1, 1, "a:2"));
    send(sync, remove(1, 2, true));
    drain();

    assertThat(send(sync, update(2, 2, "a:2 c:1"))).isEqualTo(json("""
        {"action":"revision_error","order_uid":"00011-001-0001","state":"deleted"}"""));
  }

  @Test
  void aLateRemovalWinsUnderMergeAndIsRefusedUnderReject() {
    for (ConflictPolicy policy : ConflictPolicy.values()) {
      sink = new RecordingSink();
      RulesHarness sync = service(policy);
      send(sync, update(1, 1, "a:1"));
      send(sync, update(1, 1, "a:1 b:1"));
      drain();

      JsonElement answer = send(sync, remove(2, 1, false));

      if (policy == ConflictPolicy.MERGE) {
        assertThat(answer).isEqualTo(json("{\"order_ID\":1}"));
        assertThat(drain()).hasSize(2);
        assertThat(sync.status(SHOP).orElseThrow().drafts()).isZero();
      } else {
        assertThat(answer).isEqualTo(json(
            "{\"action\":\"revision_error\",\"order_uid\":\"00011-001-0001\"}"));
        assertThat(sync.status(SHOP).orElseThrow().drafts()).isOne();
      }
    }
  }

  /**
   * POS 2 paid the order while offline, from its copy at revision 1; meanwhile POS 1 changed it.
   * Under merge the payment wins (a paid order is gone whatever changed meanwhile) and goes to
   * the Odoo write-back with POS 2's own order data, the order that was paid; under reject it is
   * refused as the original refuses it, and nothing is queued.
   */
  @Test
  void anOrderPaidOfflineFromAnOlderRevisionReachesTheWriteBackUnderMerge() {
    for (ConflictPolicy policy : ConflictPolicy.values()) {
      sink = new RecordingSink();
      RulesHarness sync = service(policy);
      send(sync, update(1, 1, "a:1"));
      send(sync, update(1, 1, "a:1 b:1"));
      String paid = "{\"id\":\"%s\",\"data\":{\"name\":\"Order %s\",\"uid\":\"%s\","
          .formatted(ORDER, ORDER, ORDER) + "\"revision_ID\":1,\"amount_total\":4.8}}";
      JsonObject removal = JsonParser.parseString(remove(2, 1, true)).getAsJsonObject();
      removal.getAsJsonObject("data").addProperty("order_data", paid);

      JsonElement answer = send(sync, removal.toString());

      List<OutboxEntry> queued = sink.outbox();
      if (policy == ConflictPolicy.MERGE) {
        assertThat(answer).isEqualTo(json("{\"order_ID\":1}"));
        assertThat(queued).containsExactly(new OutboxEntry("shop", ORDER,
            OutboxEntry.Kind.DELIVER, "Order " + ORDER, paid));
      } else {
        assertThat(answer.getAsJsonObject().get("action").getAsString())
            .isEqualTo("revision_error");
        assertThat(queued).isEmpty();
      }
    }
  }

  /**
   * A sync_all answer listing the order is published to POS 2 just before POS 2's update of it is
   * accepted: if POS 2 applies it after the update's answer, it goes back to the old lines. It is
   * sent the accepted order after it, under both policies.
   */
  @Test
  void aDeviceWithASyncAllOnItsWayGetsItsAcceptedUpdateBack() {
    for (ConflictPolicy policy : ConflictPolicy.values()) {
      sink = new RecordingSink();
      RulesHarness sync = service(policy);
      send(sync, update(1, 1, "a:1"));
      send(sync, """
          {"action":"sync_all","data":{"run_ID":1,"pos_id":2,"nonce":"s"},
           "session_id":12,"login_number":1}""");
      drain();

      send(sync, update(2, 1, "a:1 c:1"));

      List<Sent> sent = drain();
      assertThat(sent).extracting(s -> s.message().get("action").getAsString())
          .containsExactly("update_order", "update_order", "sync_all");
      JsonObject entry = sent.get(2).message().getAsJsonObject("data").getAsJsonArray("orders")
          .get(0).getAsJsonObject().getAsJsonObject("data");
      assertThat(lines(entry)).isEqualTo("a:1 c:1");
      assertThat(flagged(entry)).containsExactly("a", "c");

      // Later than that, or for an order the sync_all did not list, nothing extra.
      clock.advance(Duration.ofMillis(OrderUpdates.SYNC_ALL_IN_FLIGHT_MILLIS));
      send(sync, update(2, 2, "a:1 c:2"));
      assertThat(drain()).hasSize(2);
    }
  }

  @Test
  void aSyncAllFlagsEveryLineSoAPosThatMissedUpdatesTakesAllValues() {
    RulesHarness sync = service(ConflictPolicy.MERGE);
    send(sync, update(1, 1, "a:1 b:1"));
    send(sync, update(1, 1, "a:3 b:1"));
    send(sync, update(1, 2, "a:3 b:2")); // stored flags: only b changed last
    JsonObject answer = send(sync, """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":2,"nonce":"s"},
         "immediate_rerendering":true,"session_id":12,"login_number":1}""").getAsJsonObject();
    JsonObject entry = answer.getAsJsonObject("data").getAsJsonArray("orders").get(0)
        .getAsJsonObject().getAsJsonObject("data");
    assertThat(flagged(entry)).containsExactly("a", "b");
  }

  // --- helpers ----------------------------------------------------------------------------

  private JsonElement send(RulesHarness sync, String message) {
    return sync.update(new UpdateRequest(SHOP.dbname(), SHOP.multiSessionId(), 100,
        JsonParser.parseString(message).getAsJsonObject())).join();
  }

  private List<Sent> drain() {
    return sink.drain();
  }

  private static int nonce;

  /** An update of {@link #ORDER} from POS {@code pos}; lines written {@code uid:qty}. */
  private static String update(long pos, long revision, String lines) {
    JsonArray out = new JsonArray();
    int id = 1;
    for (String spec : lines.split(" ")) {
      String[] p = spec.split(":");
      out.add(JsonParser.parseString("[0,0,{\"uid\":\"%s\",\"id\":%d,\"qty\":%s,\"product_id\":7}]"
          .formatted(p[0], id++, p[1])));
    }
    return """
        {"action":"update_order","session_id":%d,"login_number":1,
         "data":{"uid":"%s","sequence_number":1,"revision_ID":%d,"run_ID":1,"pos_id":%d,
                 "nonce":"n%d","lines":%s}}"""
        .formatted(10 + pos, ORDER, revision, pos, nonce++, out);
  }

  private static String remove(long pos, long revision, boolean finalized) {
    return """
        {"action":"remove_order","session_id":%d,"login_number":1,
         "data":{"uid":"%s","revision_ID":%d,"finalized":%s,"run_ID":1,"pos_id":%d,
                 "nonce":"r%d"}}""".formatted(10 + pos, ORDER, revision, finalized, pos, nonce++);
  }

  private static String channel(long pos) {
    return "[\"shop\",\"pos.multi_session\",\"" + pos + "\"]";
  }

  private static JsonObject data(JsonObject message) {
    return message.getAsJsonObject("data");
  }

  private static String lines(JsonObject data) {
    List<String> out = new ArrayList<>();
    for (JsonElement e : data.getAsJsonArray("lines")) {
      JsonObject l = e.getAsJsonArray().get(2).getAsJsonObject();
      out.add(l.get("uid").getAsString() + ":" + l.get("qty").getAsInt());
    }
    return String.join(" ", out);
  }

  private static List<String> flagged(JsonObject data) {
    List<String> out = new ArrayList<>();
    for (JsonElement e : data.getAsJsonArray("lines")) {
      JsonObject l = e.getAsJsonArray().get(2).getAsJsonObject();
      if (l.has("is_changed") && l.get("is_changed").getAsBoolean()) {
        out.add(l.get("uid").getAsString());
      }
    }
    return out;
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }
}
