package io.possync.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.possync.outbox.OutboxPolicy;
import io.possync.sync.RecordingSink.Sent;
import io.possync.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The multi-session state machine without sockets (docs/protocol.md §5, decisions D5–D9): messages go
 * straight into {@link RulesHarness}, outcomes are recorded by a sink, time is a fake clock.
 */
class MultiSessionRulesTest {
  private static final Duration ORDER_RETENTION = Duration.ofDays(7);
  private static final MultiSessionKey SHOP = new MultiSessionKey("shop", 1);

  private final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T08:00:00Z"));
  private final RecordingSink sink = new RecordingSink();
  /** The original's policy: these tests pin its answers; ConflictMergeTest covers merging. */
  private final RulesHarness sync = new RulesHarness(sink, OutboxPolicy.NONE, clock,
      ORDER_RETENTION, Integer.MAX_VALUE, ConflictPolicy.REJECT);

  // --- runs (§5.4, D8) --------------------------------------------------------------------

  @Test
  void firstMessageOpensRunOneAndTheServerNumbersTheFirstOrderOne() {
    assertThat(sync.status(SHOP)).isEmpty();
    assertThat(register(SHOP, 1, 1)).isEqualTo(2); // a new POS starts at 1; its sync_all counts
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(1, 0, 0, 0, 1));

    JsonElement result = send(SHOP, 1, """
        {"action":"update_order","session_id":11,"login_number":1,
         "data":{"uid":"00011-001-0005","sequence_number":5,"revision_ID":1,"run_ID":1,
                 "pos_id":1,"nonce":"a1","lines":[]}}""");

    assertThat(result).isEqualTo(json("""
        {"action":"update_revision_ID","revision_ID":1,"uid":"00011-001-0005","order_ID":1,
         "run_ID":1}"""));
    assertThat(drain()).containsExactly(new Sent("[\"shop\",\"pos.multi_session\",\"1\"]", json("""
        {"action":"update_order","session_id":11,"login_number":1,
         "data":{"uid":"00011-001-0005","sequence_number":1,"revision_ID":1,"run_ID":1,
                 "pos_id":1,"nonce":"a1","lines":[],"message_ID":3}}""")));
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(1, 1, 1, 1, 1));
  }

  @Test
  void higherRunTurnsOldDraftsUnpaidAndRestartsNumbering() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    create(SHOP, "B", 1);
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(1, 2, 2, 2, 1));

    JsonObject run2 = syncAll(SHOP, 1, 2, null);

    assertThat(run2.getAsJsonObject("data").getAsJsonArray("orders")).isEmpty();
    assertThat(run2.getAsJsonObject("data").get("order_ID").getAsLong()).isZero();
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(2, 0, 2, 0, 1));
    // The old order is still there by uid, now unpaid; a conflict on it says so.
    assertThat(syncAll(SHOP, 1, 2, "A").getAsJsonObject("data").getAsJsonArray("orders"))
        .hasSize(1);
    assertThat(update(SHOP, "A", 5, 2, "late")).isEqualTo(json(
        "{\"action\":\"revision_error\",\"order_uid\":\"A\",\"state\":\"unpaid\"}"));
    // An update with the right revision is taken, and the order stays unpaid (kept, §7.9).
    assertThat(update(SHOP, "A", 1, 2, "edited").get("revision_ID").getAsLong()).isEqualTo(2);
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(2, 0, 2, 0, 1));
    // Numbering restarted: the first order of run 2 is number 1 again.
    assertThat(create(SHOP, "C", 2).get("order_ID").getAsLong()).isEqualTo(1);
  }

  /** D8: the reference resets order_ID only when old drafts existed; PosSync always does. */
  @Test
  void numberingRestartsOnEveryRunIncreaseEvenWithoutLeftoverDrafts() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    assertThat(remove(SHOP, "A", 1, 1)).isEqualTo(json("{\"order_ID\":1}"));
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(1, 1, 1, 0, 1));

    JsonObject first = create(SHOP, "B", 2);

    assertThat(first.get("order_ID").getAsLong()).isEqualTo(1);
    assertThat(first.get("run_ID").getAsLong()).isEqualTo(2);
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(2, 1, 2, 1, 1));
  }

  @Test
  void aMessageOfAnOlderRunIsProcessedWithoutTouchingTheRun() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 2);

    JsonObject late = create(SHOP, "B", 1);

    assertThat(late).isEqualTo(json("""
        {"action":"update_revision_ID","revision_ID":1,"uid":"B","order_ID":2,"run_ID":1}"""));
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(2, 2, 2, 2, 1));
    // A full sync of run 2 lists only run 2's drafts.
    assertThat(uids(syncAll(SHOP, 1, 2, null))).containsExactly("A");
  }

  // --- update_order answers (§5.5, §5.9) --------------------------------------------------

  @Test
  void staleRevisionIsAConflictAndChangesNothing() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    update(SHOP, "A", 1, 1, "second");
    drain();

    JsonObject result = update(SHOP, "A", 1, 1, "stale");

    assertThat(result).isEqualTo(json(
        "{\"action\":\"revision_error\",\"order_uid\":\"A\",\"state\":\"draft\"}"));
    assertThat(drain()).isEmpty();
    JsonObject stored = orderData(syncAll(SHOP, 1, 1, "A"));
    assertThat(stored.get("note").getAsString()).isEqualTo("second");
    assertThat(stored.get("revision_ID").getAsLong()).isEqualTo(2);
  }

  @Test
  void replayedUpdateIsAnsweredEmptyAndNotAppliedTwice() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    String edit = """
        {"action":"update_order","session_id":11,"login_number":1,
         "data":{"uid":"A","sequence_number":1,"revision_ID":1,"run_ID":1,"pos_id":1,
                 "nonce":"same-nonce","note":"once","lines":[]}}""";
    assertThat(send(SHOP, 1, edit).getAsJsonObject().get("revision_ID").getAsLong()).isEqualTo(2);
    drain();

    JsonElement replay = send(SHOP, 1, edit);

    assertThat(replay).isEqualTo(json("{\"action\":\"\"}"));
    assertThat(drain()).isEmpty();
    assertThat(orderData(syncAll(SHOP, 1, 1, "A")).get("revision_ID").getAsLong()).isEqualTo(2);
  }

  @Test
  void updateWithoutNonceIsNeverTakenForAReplay() {
    register(SHOP, 1, 1);
    send(SHOP, 1, """
        {"action":"update_order","data":{"uid":"A","revision_ID":1,"run_ID":1,"lines":[]}}""");

    JsonElement second = send(SHOP, 1, """
        {"action":"update_order","data":{"uid":"A","revision_ID":3,"run_ID":1,"lines":[]}}""");

    assertThat(second).isEqualTo(json(
        "{\"action\":\"revision_error\",\"order_uid\":\"A\",\"state\":\"draft\"}"));
  }

  @Test
  void unknownOrderWithARevisionAboveOneGetsStateFalse() {
    register(SHOP, 1, 1);

    assertThat(update(SHOP, "ghost", 4, 1, "x")).isEqualTo(json(
        "{\"action\":\"revision_error\",\"order_uid\":\"ghost\",\"state\":false}"));
    assertThat(drain()).isEmpty();
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(1, 0, 0, 0, 1));
  }

  @Test
  void removedOrderAnswersDeletedEvenToTheRightRevision() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    remove(SHOP, "A", 1, 1);
    drain();

    assertThat(update(SHOP, "A", 1, 1, "resurrect")).isEqualTo(json(
        "{\"action\":\"revision_error\",\"order_uid\":\"A\",\"state\":\"deleted\"}"));
    assertThat(drain()).isEmpty();
  }

  // --- is_changed (§5.11) -----------------------------------------------------------------

  @Test
  void onlyLinesThatReallyChangedAreFlagged() {
    register(SHOP, 1, 1);
    send(SHOP, 1, """
        {"action":"update_order","data":{"uid":"A","revision_ID":1,"run_ID":1,"nonce":"n1",
         "lines":[[0,0,{"uid":"A-1","id":1,"qty":1,"price_unit":4.8,"discount":0}],
                  [0,0,{"uid":"A-2","id":2,"qty":2,"price_unit":1.5}],
                  [0,0,{"uid":"A-3","id":3,"qty":1,"note":""}]]}}""");
    drain();

    send(SHOP, 1, """
        {"action":"update_order","data":{"uid":"A","revision_ID":1,"run_ID":1,"nonce":"n2",
         "lines":[[0,0,{"uid":"A-1","id":7,"qty":1.0,"price_unit":4.80,"discount":0.0}],
                  [0,0,{"uid":"A-2","id":2,"qty":3,"price_unit":1.5}],
                  [0,0,{"uid":"A-3","id":3,"qty":1,"note":"","mp_dirty":true}],
                  [0,0,{"uid":"A-4","id":4,"qty":1}]]}}""");

    // 1 vs 1.0 and 4.8 vs 4.80 are equal numbers and another terminal's line id is ignored;
    // a changed quantity and an added key count; a new line is not flagged.
    JsonArray broadcast = drain().get(0).message().getAsJsonObject("data").getAsJsonArray("lines");
    assertThat(flags(broadcast)).containsExactly(
        Map.entry("A-1", false), Map.entry("A-2", true), Map.entry("A-3", true),
        Map.entry("A-4", false));
    // A sync_all flags every line, so that a POS that missed updates takes all values (§7.11).
    assertThat(flags(orderData(syncAll(SHOP, 1, 1, "A")).getAsJsonArray("lines")))
        .containsExactly(Map.entry("A-1", true), Map.entry("A-2", true), Map.entry("A-3", true),
            Map.entry("A-4", true));

    // Compared with the previous stored version only: its is_changed flag is not a difference.
    send(SHOP, 1, """
        {"action":"update_order","data":{"uid":"A","revision_ID":2,"run_ID":1,"nonce":"n3",
         "lines":[[0,0,{"uid":"A-1","id":1,"qty":1,"price_unit":4.8,"discount":0}],
                  [0,0,{"uid":"A-2","id":2,"qty":3,"price_unit":1.5}],
                  [0,0,{"uid":"A-3","id":3,"qty":1,"note":"","mp_dirty":true}]]}}""");
    assertThat(flags(drain().get(0).message().getAsJsonObject("data").getAsJsonArray("lines")))
        .containsExactly(Map.entry("A-1", false), Map.entry("A-2", false), Map.entry("A-3", false));
  }

  // --- sync_all (§5.6, D5) ----------------------------------------------------------------

  @Test
  void fullSyncAllListsTheDraftsOfTheAskedRunWithCurrentCounters() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    update(SHOP, "A", 1, 1, "A twice");
    create(SHOP, "B", 1);
    create(SHOP, "C", 1);
    remove(SHOP, "C", 1, 1);
    drain();

    JsonElement answer = send(SHOP, 1, """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":1,"nonce":"s"},
         "immediate_rerendering":true,"session_id":11,"login_number":3}""");

    // pos 1: 2 at registration, +5 broadcasts, +1 for this sync_all. The entries carry the
    // server's revision and the asker's message_ID; C is a tombstone and not listed.
    assertThat(answer).isEqualTo(json("""
        {"action":"sync_all","data":{"orders":[
           {"action":"update_order","session_id":11,"login_number":1,
            "data":{"uid":"A","sequence_number":1,"revision_ID":2,"run_ID":1,"pos_id":1,
                    "nonce":"A-A twice","note":"A twice","lines":[],"message_ID":8}},
           {"action":"update_order","session_id":11,"login_number":1,
            "data":{"uid":"B","sequence_number":2,"revision_ID":1,"run_ID":1,"pos_id":1,
                    "nonce":"B-new","note":"new","lines":[],"message_ID":8}}],
         "message_ID":8,"order_ID":3,"uid":null,"login_number":3,"session_id":11}}"""));
    assertThat(drain()).isEmpty(); // inline answers publish nothing
  }

  @Test
  void syncAllForOneUidReturnsThatOrderWhateverItsState() {
    register(SHOP, 1, 1);
    create(SHOP, "C", 1);
    remove(SHOP, "C", 1, 1);

    JsonObject answer = syncAll(SHOP, 1, 1, "C");

    assertThat(answer.getAsJsonObject("data").get("uid").getAsString()).isEqualTo("C");
    assertThat(uids(answer)).containsExactly("C");
    assertThat(orderData(answer).get("revision_ID").getAsLong()).isEqualTo(1);
    assertThat(uids(syncAll(SHOP, 1, 1, null))).isEmpty();
  }

  /** D5: the reference crashes on an unknown uid; PosSync answers with no orders. */
  @Test
  void syncAllForAnUnknownUidAnswersNoOrders() {
    register(SHOP, 1, 1);

    JsonElement answer = send(SHOP, 1, """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":1,"nonce":"s"},"uid":"nobody",
         "immediate_rerendering":true,"session_id":11,"login_number":1}""");

    assertThat(answer).isEqualTo(json("""
        {"action":"sync_all","data":{"orders":[],"message_ID":3,"order_ID":0,"uid":"nobody",
         "login_number":1,"session_id":11}}"""));
  }

  /** §5.6/§7.13: a non-inline answer goes to every terminal of the same Odoo user (kept). */
  @Test
  void nonInlineSyncAllIsPublishedToEveryTerminalOfTheSameUser() {
    register(SHOP, 1, 5);
    register(SHOP, 2, 5);
    register(SHOP, 3, 6);

    JsonElement answer = send(SHOP, 5, """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":1,"nonce":"s"},
         "session_id":11,"login_number":1}""");

    assertThat(answer).isEqualTo(new JsonObject());
    // The asker's counter goes up; the other terminal of user 5 gets its current counter.
    assertThat(drain()).containsExactly(
        new Sent("[\"shop\",\"pos.multi_session\",\"1\"]", json("""
            {"action":"sync_all","data":{"orders":[],"message_ID":3,"order_ID":0,"uid":null,
             "login_number":1,"session_id":11}}""")),
        new Sent("[\"shop\",\"pos.multi_session\",\"2\"]", json("""
            {"action":"sync_all","data":{"orders":[],"message_ID":2,"order_ID":0,"uid":null,
             "login_number":1,"session_id":11}}""")));
  }

  // --- remove_order (§5.7, D6, D9) --------------------------------------------------------

  @Test
  void paidOfflineOrderIsCreatedNumberedTombstonedAndAnnouncedWithoutItsData() {
    register(SHOP, 1, 1);
    register(SHOP, 2, 2);
    create(SHOP, "A", 1);
    drain();

    // order_data is the pos.db entry of the paid order, as a JSON string (§5.7).
    String paidOrder = """
        {"id":"P","data":{"uid":"P","sequence_number":9,"revision_ID":1,"run_ID":1,
                          "amount_total":12.5,"lines":[]}}""";
    JsonElement result = send(SHOP, 2, """
        {"action":"remove_order","session_id":12,"login_number":1,
         "data":{"uid":"P","revision_ID":1,"finalized":true,"run_ID":1,"pos_id":2,"nonce":"rm",
                 "order_data":%s}}""".formatted(quoted(paidOrder)));

    assertThat(result).isEqualTo(json("{\"order_ID\":2}"));
    // Only the removal is announced (no creation broadcast), and without order_data (D9).
    assertThat(drain()).containsExactly(
        new Sent("[\"shop\",\"pos.multi_session\",\"1\"]", removal("P", 4)),
        new Sent("[\"shop\",\"pos.multi_session\",\"2\"]", removal("P", 4)));
    JsonObject stored = orderData(syncAll(SHOP, 1, 1, "P"));
    assertThat(stored.get("nonce").getAsString()).isEqualTo("paid offline");
    assertThat(stored.get("sequence_number").getAsLong()).isEqualTo(2);
    assertThat(stored.get("amount_total").getAsString()).isEqualTo("12.5");
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(1, 2, 2, 1, 2));
    assertThat(uids(syncAll(SHOP, 1, 1, null))).containsExactly("A");
  }

  /** D6: the reference crashes here (§7.6) and may leave a draft behind. */
  @Test
  void paidOfflineConflictIsARevisionErrorWithoutStateAndLeavesNothingBehind() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    drain();
    MultiSessionStatus before = sync.status(SHOP).orElseThrow();

    // The paid order claims revision 2 although the server never saw it.
    JsonElement notCreatable = send(SHOP, 1, """
        {"action":"remove_order","data":{"uid":"P","revision_ID":1,"finalized":true,"run_ID":1,
         "pos_id":1,"nonce":"rm1","order_data":%s}}"""
        .formatted(quoted("{\"id\":\"P\",\"data\":{\"uid\":\"P\",\"revision_ID\":2,\"lines\":[]}}")));
    // The removal itself claims revision 3.
    JsonElement notRemovable = send(SHOP, 1, """
        {"action":"remove_order","data":{"uid":"P","revision_ID":3,"finalized":true,"run_ID":1,
         "pos_id":1,"nonce":"rm2","order_data":%s}}"""
        .formatted(quoted("{\"id\":\"P\",\"data\":{\"uid\":\"P\",\"revision_ID\":1,\"lines\":[]}}")));

    assertThat(notCreatable).isEqualTo(json("{\"action\":\"revision_error\",\"order_uid\":\"P\"}"));
    assertThat(notRemovable).isEqualTo(json("{\"action\":\"revision_error\",\"order_uid\":\"P\"}"));
    assertThat(drain()).isEmpty();
    assertThat(sync.status(SHOP)).contains(before);
    assertThat(uids(syncAll(SHOP, 1, 1, "P"))).isEmpty();
  }

  @Test
  void removeWithAStaleRevisionIsAConflictWithoutState() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    update(SHOP, "A", 1, 1, "second");
    drain();

    assertThat(remove(SHOP, "A", 1, 1)).isEqualTo(json(
        "{\"action\":\"revision_error\",\"order_uid\":\"A\"}"));
    assertThat(drain()).isEmpty();
    assertThat(sync.status(SHOP).orElseThrow().drafts()).isEqualTo(1);
  }

  @Test
  void removingAnUnknownOrAlreadyRemovedOrderIsStillAnnounced() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    remove(SHOP, "A", 1, 1);
    drain();

    assertThat(remove(SHOP, "A", 7, 1)).isEqualTo(json("{\"order_ID\":1}"));
    assertThat(remove(SHOP, "never-synced", 1, 1)).isEqualTo(json("{\"order_ID\":1}"));

    assertThat(drain())
        .extracting(s -> s.message().getAsJsonObject("data").get("uid").getAsString())
        .containsExactly("A", "never-synced");
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(1, 1, 1, 0, 1));
  }

  // --- defaults and odd messages (D7, unknown actions) ------------------------------------

  /** D7: missing run_ID means the current run; missing finalized means false. */
  @Test
  void missingRunAndFinalizedFallBackToDefaults() {
    register(SHOP, 1, 1);
    syncAll(SHOP, 1, 3, null);

    JsonElement created = send(SHOP, 1, """
        {"action":"update_order","data":{"uid":"A","revision_ID":1,"pos_id":1,"nonce":"a",
         "lines":[]},"session_id":11,"login_number":1}""");
    JsonElement removed = send(SHOP, 1, """
        {"action":"remove_order","data":{"uid":"A","revision_ID":1,"pos_id":1,"nonce":"r"},
         "session_id":11,"login_number":1}""");

    assertThat(created).isEqualTo(json("""
        {"action":"update_revision_ID","revision_ID":1,"uid":"A","order_ID":1,"run_ID":3}"""));
    assertThat(removed).isEqualTo(json("{\"order_ID\":1}"));
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(3, 1, 1, 0, 1));
  }

  @Test
  void unknownActionIsAnsweredOneAndRelayedToEveryTerminal() {
    register(SHOP, 1, 1);
    register(SHOP, 2, 2);

    JsonElement result = send(SHOP, 1, """
        {"action":"custom_note","data":{"run_ID":1,"note":"hello","pos_id":1,"nonce":"x1"},
         "session_id":11,"login_number":1}""");

    assertThat(result.getAsInt()).isEqualTo(1);
    assertThat(drain()).containsExactly(
        new Sent("[\"shop\",\"pos.multi_session\",\"1\"]", json("""
            {"action":"custom_note","data":{"run_ID":1,"note":"hello","pos_id":1,"nonce":"x1",
             "message_ID":3},"session_id":11,"login_number":1}""")),
        new Sent("[\"shop\",\"pos.multi_session\",\"2\"]", json("""
            {"action":"custom_note","data":{"run_ID":1,"note":"hello","pos_id":1,"nonce":"x1",
             "message_ID":3},"session_id":11,"login_number":1}""")));
  }

  /** Malformed messages change nothing, not even the run they announce (D10). */
  @Test
  void malformedMessageWithAHigherRunChangesNothing() {
    register(SHOP, 1, 1);
    create(SHOP, "A", 1);
    drain();

    assertThatThrownBy(() -> send(SHOP, 1, """
        {"action":"update_order","data":{"uid":"A","revision_ID":"abc","run_ID":2,"lines":[]}}"""))
        .isInstanceOf(InvalidMessageException.class)
        .hasMessage("message.data.revision_ID must be an integer");
    assertThatThrownBy(() -> send(SHOP, 1, """
        {"action":"sync_all","data":{"run_ID":2},"immediate_rerendering":true}"""))
        .isInstanceOf(InvalidMessageException.class)
        .hasMessage("message.data.pos_id must be an integer");

    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(1, 1, 1, 1, 1));
    assertThat(drain()).isEmpty();
  }

  /** Junk aimed at a multi-session nobody uses does not bring it into existence. */
  @Test
  void malformedMessageForAnUnknownMultiSessionCreatesNothing() {
    MultiSessionKey unused = new MultiSessionKey("shop", 77);
    assertThatThrownBy(() -> send(unused, 1, """
        {"action":"update_order","data":{"revision_ID":1,"run_ID":1,"lines":[]}}"""))
        .isInstanceOf(InvalidMessageException.class)
        .hasMessage("message.data.uid must be a string");
    assertThatThrownBy(() -> send(unused, 1, """
        {"action":"remove_order","data":{"uid":"A","order_data":"{not json","run_ID":1}}"""))
        .isInstanceOf(InvalidMessageException.class);

    assertThat(sync.status(unused)).isEmpty();
    assertThat(sync.multiSessionCount()).isZero();
  }

  // --- terminals (§5.6 step 1, D1) --------------------------------------------------------

  @Test
  void terminalMovedToAnotherMultiSessionLeavesTheOldOneAndKeepsItsCounter() {
    MultiSessionKey bar = new MultiSessionKey("shop", 2);
    register(SHOP, 1, 1);
    register(SHOP, 2, 2);
    create(SHOP, "A", 1); // pos 1 now at message_ID 3

    assertThat(register(bar, 1, 1)).isEqualTo(4);
    drain();
    create(SHOP, "B", 2);
    assertThat(drain()).extracting(Sent::channel)
        .containsExactly("[\"shop\",\"pos.multi_session\",\"2\"]");
    create(bar, "C", 1);
    assertThat(drain()).containsExactly(new Sent("[\"shop\",\"pos.multi_session\",\"1\"]",
        json(orderMessage("C", 1, 1, 1, "new", 5))));

    assertThat(sync.status(SHOP).orElseThrow().terminals()).isEqualTo(1);
    assertThat(sync.status(bar).orElseThrow().terminals()).isEqualTo(1);
  }

  /** D1: another database with the same ids shares nothing. */
  @Test
  void sameIdsInAnotherDatabaseShareNothing() {
    MultiSessionKey other = new MultiSessionKey("other", 1);
    register(SHOP, 1, 1);
    register(other, 1, 1);
    create(SHOP, "A", 1);
    drain();

    assertThat(create(other, "A", 1).get("order_ID").getAsLong()).isEqualTo(1);
    assertThat(drain()).extracting(Sent::channel)
        .containsExactly("[\"other\",\"pos.multi_session\",\"1\"]");
    assertThat(uids(syncAll(SHOP, 1, 1, null))).containsExactly("A");
    assertThat(orderData(syncAll(other, 1, 1, "A")).get("pos_id").getAsLong()).isEqualTo(1);
  }

  // --- purge (D4) -------------------------------------------------------------------------

  @Test
  void ordersOfAnEndedRunArePurgedOnlyAfterTheRetention() {
    register(SHOP, 1, 1);
    create(SHOP, "draft-then-unpaid", 1);
    create(SHOP, "removed", 1);
    remove(SHOP, "removed", 1, 1);
    clock.advance(Duration.ofHours(10));
    syncAll(SHOP, 1, 2, null); // run 1 ends now
    create(SHOP, "removed-this-run", 2);
    remove(SHOP, "removed-this-run", 1, 2);
    create(SHOP, "open", 2);
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(2, 2, 4, 1, 1));

    clock.advance(ORDER_RETENTION.minusMillis(1));
    sync.purgeOldOrders();
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(2, 2, 4, 1, 1));

    clock.advance(Duration.ofMillis(2));
    sync.purgeOldOrders();
    // The unpaid and deleted orders of run 1 are gone; this run's tombstone and draft stay.
    assertThat(sync.status(SHOP)).contains(new MultiSessionStatus(2, 2, 2, 1, 1));
    assertThat(uids(syncAll(SHOP, 1, 2, "draft-then-unpaid"))).isEmpty();
    assertThat(update(SHOP, "removed-this-run", 1, 2, "late")).isEqualTo(json(
        "{\"action\":\"revision_error\",\"order_uid\":\"removed-this-run\",\"state\":\"deleted\"}"));
  }

  // --- helpers ----------------------------------------------------------------------------


  private JsonElement send(MultiSessionKey key, long userId, String message) {
    JsonObject m = JsonParser.parseString(message).getAsJsonObject();
    return sync.update(new UpdateRequest(key.dbname(), key.multiSessionId(), userId, m)).join();
  }

  private List<Sent> drain() {
    return sink.drain();
  }

  /** Registers a terminal by an inline full sync_all of run 1; returns its message_ID. */
  private long register(MultiSessionKey key, long posId, long userId) {
    JsonElement r = send(key, userId, """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":%d,"nonce":"reg"},
         "immediate_rerendering":true,"session_id":%d,"login_number":1}"""
        .formatted(posId, 10 + posId));
    return r.getAsJsonObject().getAsJsonObject("data").get("message_ID").getAsLong();
  }

  private JsonObject syncAll(MultiSessionKey key, long posId, long run, String uid) {
    return send(key, posId, """
        {"action":"sync_all","data":{"run_ID":%d,"pos_id":%d,"nonce":"s"},%s
         "immediate_rerendering":true,"session_id":%d,"login_number":1}"""
        .formatted(run, posId, uid == null ? "" : "\"uid\":\"" + uid + "\",", 10 + posId))
        .getAsJsonObject();
  }

  /** pos 1 sends a new order {@code uid}; returns the answer. */
  private JsonObject create(MultiSessionKey key, String uid, long run) {
    return send(key, 1, orderMessage(uid, 1, run, 99, "new", null)).getAsJsonObject();
  }

  private JsonObject update(MultiSessionKey key, String uid, long revision, long run, String note) {
    return send(key, 1, orderMessage(uid, revision, run, 1, note, null)).getAsJsonObject();
  }

  private JsonElement remove(MultiSessionKey key, String uid, long revision, long run) {
    return send(key, 1, """
        {"action":"remove_order","data":{"uid":"%s","revision_ID":%d,"finalized":false,
         "run_ID":%d,"pos_id":1,"nonce":"%s-rm"},"session_id":11,"login_number":1}"""
        .formatted(uid, revision, run, uid));
  }

  /** An update_order from pos 1; the nonce is made of uid and note, so keep notes distinct. */
  private static String orderMessage(String uid, long revision, long run, long sequence,
      String note, Integer messageId) {
    return """
        {"action":"update_order","session_id":11,"login_number":1,
         "data":{"uid":"%s","sequence_number":%d,"revision_ID":%d,"run_ID":%d,"pos_id":1,
                 "nonce":"%s-%s","note":"%s","lines":[]%s}}"""
        .formatted(uid, sequence, revision, run, uid, note, note,
            messageId == null ? "" : ",\"message_ID\":" + messageId);
  }

  private static JsonObject removal(String uid, long messageId) {
    return json("""
        {"action":"remove_order","session_id":12,"login_number":1,
         "data":{"uid":"%s","revision_ID":1,"finalized":true,"run_ID":1,"pos_id":2,"nonce":"rm",
                 "message_ID":%d}}""".formatted(uid, messageId));
  }

  private static List<String> uids(JsonObject syncAll) {
    List<String> out = new ArrayList<>();
    for (JsonElement o : syncAll.getAsJsonObject("data").getAsJsonArray("orders")) {
      out.add(o.getAsJsonObject().getAsJsonObject("data").get("uid").getAsString());
    }
    return out;
  }

  private static JsonObject orderData(JsonObject syncAll) {
    JsonArray orders = syncAll.getAsJsonObject("data").getAsJsonArray("orders");
    assertThat(orders).hasSize(1);
    return orders.get(0).getAsJsonObject().getAsJsonObject("data");
  }

  /** Line uid → its is_changed flag (false when absent), in line order. */
  private static Map<String, Boolean> flags(JsonArray lines) {
    return lines.asList().stream().map(l -> l.getAsJsonArray().get(2).getAsJsonObject())
        .collect(Collectors.toMap(l -> l.get("uid").getAsString(),
            l -> l.has("is_changed") && l.get("is_changed").getAsBoolean(),
            (a, b) -> a, java.util.LinkedHashMap::new));
  }

  /** {@code text} as a JSON string literal. */
  private static String quoted(String text) {
    return new JsonPrimitive(text).toString();
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

}
