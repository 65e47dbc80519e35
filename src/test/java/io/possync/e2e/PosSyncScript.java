package io.possync.e2e;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The reference transcript as PosSync must answer it: every exchange with the reference's answer,
 * except where PosSync deliberately differs (the decisions D1–D13 of docs/protocol.md); there the
 * answer is PosSync's own documented one, and the comment names the decision.
 */
final class PosSyncScript {

  /**
   * One step of the replay.
   *
   * @param deviation     the PosSync decision that changes this answer, or null
   * @param expectation   the expected answer, given what was delivered before
   * @param answersWithin how soon the answer must come, or null for no bound
   */
  record Step(GoldenExchange exchange, String deviation,
      Function<DeliveredNotifications, Expectation> expectation, Duration answersWithin) {

    /** Step id and title, plus the deviation: the start of every assertion message. */
    String label() {
      return exchange.label() + (deviation == null ? "" : " [PosSync: " + deviation + "]");
    }

    String id() {
      return exchange.step();
    }
  }

  static final String POS_1_MULTI_SESSION = "[\"testdb\",\"pos.multi_session\",\"1\"]";

  /**
   * The transcript steps whose answer PosSync changes; checked against the switch below, so a
   * renamed or vanished step cannot make a deviation silently unused.
   */
  static final Set<String> DEVIATING = Set.of("S16", "S19", "S25a", "S25b", "S27", "S28", "S29",
      "S30", "S31", "S33", "S35a", "S35", "P1");

  /**
   * Under {@code sync.conflicts=merge} the replay ends with S17, POS 2's update based on an old
   * revision: PosSync merges it where the reference refused it, and every later step of the
   * transcript plays out that refusal (POS 2's sync_all for the order, its resend).
   */
  static final String LAST_STEP_WHEN_MERGING = "S17";

  /*
   * D5 changes more than S27's own answer. S27 is a sync_all by POS 1 (user 2) without
   * immediate_rerendering, so PosSync answers {} and publishes the payload (orders [], uid
   * "no-such-order") to every terminal of the multi-session whose last user is user 2: POS 1 and,
   * since S25, POS 2 (docs/protocol.md §5.6, §7.13). The reference published nothing. Reference ids 19
   * and 20 are S26's broadcast (POS 1, POS 2), 21 and 22 S35's; PosSync's two extra notifications
   * come between, at positions 20.1 and 20.2.
   */

  /** POS 1's copy: the asker's counter goes 10 (after S26) -> 11. Order C is run 2's only order. */
  private static final String S27_TO_POS_1 = """
      {"id": 20.1, "channel": "[\\"testdb\\",\\"pos.multi_session\\",\\"1\\"]",
       "message": {"action": "sync_all", "data": {"orders": [], "message_ID": 11, "order_ID": 1,
         "uid": "no-such-order", "login_number": 1, "session_id": 11}}}""";

  /** POS 2's copy: same payload with POS 2's current counter, unchanged at 10 (after S26). */
  private static final String S27_TO_POS_2 = """
      {"id": 20.2, "channel": "[\\"testdb\\",\\"pos.multi_session\\",\\"2\\"]",
       "message": {"action": "sync_all", "data": {"orders": [], "message_ID": 10, "order_ID": 1,
         "uid": "no-such-order", "login_number": 1, "session_id": 11}}}""";

  private PosSyncScript() {}

  /** The steps to replay under {@code sync.conflicts=reject}, in the order the requests are sent. */
  static List<Step> of(List<GoldenExchange> transcript) {
    return of(transcript, false);
  }

  /**
   * The steps to replay, in the order the requests are sent; when {@code merging}, the S steps
   * up to {@link #LAST_STEP_WHEN_MERGING}, whose answer is the merge's, then the P steps (a server
   * of their own).
   */
  static List<Step> of(List<GoldenExchange> transcript, boolean merging) {
    if (merging) {
      List<Step> steps = new ArrayList<>();
      boolean cut = false;
      for (GoldenExchange ex : transcript) {
        boolean sStep = ex.step().startsWith("S");
        if (sStep && cut) {
          continue;
        }
        steps.add(switch (ex.step()) {
          case "S15", "S16" -> wokenByTheMerge(ex, transcript);
          case LAST_STEP_WHEN_MERGING -> merged(ex);
          default -> step(ex);
        });
        cut |= ex.step().equals(LAST_STEP_WHEN_MERGING);
      }
      return steps;
    }
    List<Step> steps = new ArrayList<>();
    Set<String> changed = new TreeSet<>();
    for (GoldenExchange ex : transcript) {
      Step step = step(ex);
      steps.add(step);
      if (step.deviation() != null) {
        changed.add(step.id());
      }
      if (ex.step().equals("S35")) {
        steps.add(restOfS35a(transcript.stream().filter(e -> e.step().equals("S35a")).findFirst()
            .orElseThrow()));
      }
    }
    if (!changed.equals(new TreeSet<>(DEVIATING))) {
      throw new IllegalStateException("deviations expected for " + new TreeSet<>(DEVIATING)
          + " but the transcript gave " + changed + " (a step renamed or gone?)");
    }
    return steps;
  }

  /**
   * S17 merged: POS 2 keeps the revision it sent until the merged order reaches it
   * (docs/conflicts.md); the reference answered revision_error.
   */
  private static Step merged(GoldenExchange ex) {
    JsonObject data = ex.request().getAsJsonObject("params").getAsJsonObject("message")
        .getAsJsonObject("data");
    JsonObject result = new JsonObject();
    result.addProperty("action", "update_revision_ID");
    result.add("revision_ID", data.get("revision_ID"));
    result.add("uid", data.get("uid"));
    result.addProperty("order_ID", 1);
    result.addProperty("run_ID", 1);
    result.addProperty("merged", true);
    return deviation(ex, "merge instead of revision_error", delivered -> answer(ex, result));
  }

  /**
   * The polls held when S17 comes, answered by its merge: POS 1 (S15) gets the merged order, POS 2
   * (S16) gets it too, then the copy it applies (a sync_all for the order). Merged: S17's values
   * (where S14 changed something S17 changed too, S17 won; nothing else changed in S14) with
   * S14's new line; revision 3. S14 left both counters at 4.
   */
  private static Step wokenByTheMerge(GoldenExchange recorded, List<GoldenExchange> transcript) {
    GoldenExchange ex = recorded.withStep(recorded.step(), recorded.title().replaceFirst(
        "answered after S\\w+", "answered after " + LAST_STEP_WHEN_MERGING), recorded.request());
    JsonObject s14 = message(transcript, "S14");
    JsonObject s17 = message(transcript, LAST_STEP_WHEN_MERGING);
    JsonObject merged = s17.deepCopy();
    JsonObject data = merged.getAsJsonObject("data");
    JsonArray lines = new JsonArray();
    JsonArray theirs = data.getAsJsonArray("lines").get(0).getAsJsonArray().deepCopy();
    lines.add(theirs);
    lines.add(s14.getAsJsonObject("data").getAsJsonArray("lines").get(1).deepCopy());
    data.add("lines", lines);
    data.addProperty("revision_ID", 3);
    JsonArray result = new JsonArray();
    if (ex.step().equals("S15")) {
      result.add(notification("8.1", POS_1_MULTI_SESSION, broadcast(merged, 5)));
    } else {
      String pos2 = "[\"testdb\",\"pos.multi_session\",\"2\"]";
      result.add(notification("8.2", pos2, broadcast(merged, 5)));
      JsonObject entry = merged.deepCopy();
      entry.getAsJsonObject("data").addProperty("message_ID", 6);
      entry.getAsJsonObject("data").addProperty("run_ID", 1);
      // POS 2 lacks S14's line; its own line was changed by S14 (revision 2), whose broadcast
      // may have reached it since it sent S17: both flagged.
      lineOf(entry, 0).addProperty("is_changed", true);
      lineOf(entry, 1).addProperty("is_changed", true);
      JsonArray orders = new JsonArray();
      orders.add(entry);
      JsonObject copyData = new JsonObject();
      copyData.add("orders", orders);
      copyData.addProperty("message_ID", 6);
      copyData.addProperty("order_ID", 1);
      copyData.add("uid", data.get("uid"));
      copyData.add("login_number", s17.get("login_number"));
      copyData.add("session_id", s17.get("session_id"));
      JsonObject copy = new JsonObject();
      copy.addProperty("action", "sync_all");
      copy.add("data", copyData);
      result.add(notification("8.3", pos2, copy));
    }
    return deviation(ex, "woken by S17's merge", delivered -> answer(ex, result));
  }

  /** The merged order as broadcast: the line S14 had at another quantity is flagged. */
  private static JsonObject broadcast(JsonObject merged, long messageId) {
    JsonObject m = merged.deepCopy();
    m.getAsJsonObject("data").addProperty("message_ID", messageId);
    lineOf(m, 0).addProperty("is_changed", true);
    return m;
  }

  private static JsonObject lineOf(JsonObject message, int index) {
    return message.getAsJsonObject("data").getAsJsonArray("lines").get(index).getAsJsonArray()
        .get(2).getAsJsonObject();
  }

  private static JsonObject notification(String position, String channel, JsonObject message) {
    JsonObject n = new JsonObject();
    n.addProperty("id", new BigDecimal(position));
    n.addProperty("channel", channel);
    n.add("message", message);
    return n;
  }

  private static JsonObject message(List<GoldenExchange> transcript, String step) {
    return transcript.stream().filter(e -> e.step().equals(step)).findFirst().orElseThrow()
        .request().getAsJsonObject("params").getAsJsonObject("message");
  }

  private static Step step(GoldenExchange ex) {
    return switch (ex.step()) {
      // §7.11: every line of a sync_all entry is flagged is_changed, so that a POS that missed
      // updates takes all values (the reference flagged only the last update's changes).
      case "S16", "S19", "S25a", "S25b" -> deviation(ex, "is_changed on every sync_all line",
          delivered -> new Expectation.Answer(ex.status(), everyLineFlagged(ex.response())));
      // D5: a sync_all for an unknown uid is a normal, non-immediate sync_all, not a TypeError.
      case "S27" -> deviation(ex, "D5", delivered -> answer(ex, new JsonObject()));
      // D10: malformed requests still get an error, but PosSync's own (names are not Python's).
      case "S28", "S29", "S30" -> deviation(ex, "D10", delivered -> new Expectation.ServerError());
      // D12: the non-string channel is ignored; a first poll (last=0) on POS 1's multi-session
      // channel gets everything published there in the last 50 s: all POS 1 received so far,
      // then S27's copy for POS 1 (D5), which no poll of POS 1 has fetched yet.
      case "S31" -> deviation(ex, "D12, D5", delivered -> {
        List<JsonObject> before = delivered.on(POS_1_MULTI_SESSION);
        if (before.isEmpty()) {
          throw new IllegalStateException("S31: POS 1 should have received notifications by now");
        }
        JsonArray result = new JsonArray();
        before.forEach(result::add);
        result.add(json(S27_TO_POS_1));
        return answer(ex, result);
      });
      // Not a deviation: the reference's NotFound envelope, HTTP 404. Not compared: the
      // traceback, and data.context, which docs/protocol.md §2.4 makes optional (PosSync sends {}).
      case "S32" -> new Step(ex, null, delivered -> new Expectation.Answer(ex.status(),
          ex.response(), List.of("error.data.debug", "error.data.context")), null);
      // D5: the reference had nothing for POS 1 after id 19 and answered [] at its timeout;
      // PosSync has S27's copy for POS 1 and answers at once.
      case "S33" -> deviation(ex, "D5", delivered -> answer(ex, array(S27_TO_POS_1)));
      // D5: POS 2 asks after id 20 (S26's broadcast to it). S27's copy for POS 2 is already
      // there, so the poll answers at once with it alone; the reference's answer (S35's
      // custom_note) is checked by the next poll of POS 2, after S35 (step "S35a+").
      case "S35a" -> deviation(ex, "D5", delivered -> answer(ex, array(S27_TO_POS_2)));
      // D13: the phantomtest header is sent but ignored: same answer, without the 3 s sleep.
      case "S35" -> new Step(ex, "D13", delivered -> asRecorded(ex), Duration.ofSeconds(2));
      // Recorded with --auth public, where Odoo's access rules refuse the public user. PosSync
      // has no such rule (its auth mode is `none`): a normal non-immediate sync_all.
      case "P1" -> deviation(ex, "no access rules in auth mode none",
          delivered -> answer(ex, new JsonObject()));
      default -> new Step(ex, null, delivered -> asRecorded(ex), null);
    };
  }

  /**
   * S35a's reference answer, S35's custom_note for POS 2 (message_ID 11: S27's sync_all did not
   * count for POS 2), fetched by POS 2's next poll: {@code last} is the S27 copy S35a got.
   */
  private static Step restOfS35a(GoldenExchange s35a) {
    JsonObject request = s35a.request().deepCopy();
    request.getAsJsonObject("params").addProperty("last", new BigDecimal("20.2"));
    GoldenExchange rest = s35a.withStep("S35a+",
        "POS 2 long-poll (last = S27's copy, got in S35a): the rest of the reference's S35a answer",
        request);
    return deviation(rest, "D5", delivered -> asRecorded(rest));
  }

  /** {@code body} with is_changed set on every line of every sync_all entry in it. */
  private static JsonElement everyLineFlagged(JsonElement body) {
    JsonElement copy = body.deepCopy();
    flagSyncAllLines(copy, false);
    return copy;
  }

  private static void flagSyncAllLines(JsonElement e, boolean inSyncAll) {
    if (e.isJsonArray()) {
      e.getAsJsonArray().forEach(x -> flagSyncAllLines(x, inSyncAll));
    } else if (e.isJsonObject()) {
      JsonObject o = e.getAsJsonObject();
      boolean syncAll = inSyncAll || (o.has("action") && o.get("action").isJsonPrimitive()
          && o.get("action").getAsString().equals("sync_all"));
      if (syncAll && o.has("lines") && o.get("lines").isJsonArray()) {
        for (JsonElement line : o.getAsJsonArray("lines")) {
          line.getAsJsonArray().get(2).getAsJsonObject().addProperty("is_changed", true);
        }
      }
      o.entrySet().forEach(m -> flagSyncAllLines(m.getValue(), syncAll));
    }
  }

  private static Step deviation(GoldenExchange ex, String decision,
      Function<DeliveredNotifications, Expectation> expectation) {
    return new Step(ex, decision, expectation, null);
  }

  private static Expectation asRecorded(GoldenExchange ex) {
    return new Expectation.Answer(ex.status(), ex.response());
  }

  /** HTTP 200 with {@code result}, echoing the request's id. */
  private static Expectation answer(GoldenExchange ex, JsonElement result) {
    JsonObject body = new JsonObject();
    body.addProperty("jsonrpc", "2.0");
    body.add("id", ex.request().get("id"));
    body.add("result", result);
    return new Expectation.Answer(200, body);
  }

  private static JsonArray array(String... notifications) {
    JsonArray a = new JsonArray();
    for (String n : notifications) {
      a.add(json(n));
    }
    return a;
  }

  private static JsonElement json(String text) {
    return JsonParser.parseString(text);
  }
}
