package io.possync.sync;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.possync.wire.Json;
import io.possync.wire.Outgoing;
import io.possync.wire.Python;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code sync_all} (docs/protocol.md §5.6): registers the asking POS here and sends it, and every
 * terminal of the same Odoo user, the multi-session's draft orders of the run.
 */
final class Resyncs {
  private final Terminals terminals;
  private final Broadcasts broadcasts;
  private final Clock clock;

  Resyncs(Terminals terminals, Broadcasts broadcasts, Clock clock) {
    this.terminals = terminals;
    this.broadcasts = broadcasts;
    this.clock = clock;
  }

  Decided syncAll(MultiSession ms, long userId, JsonObject message, JsonObject data,
      Long runId, TerminalRow stored) {
    long posId = Fields.requireId(data.get("pos_id"), "message.data.pos_id");
    ms.applyRunRule(runId, clock.millis());
    long run = runId != null ? runId : ms.runId;
    Terminal asker = register(ms, posId, userId, stored);
    asker.messageId++;
    long messageId = asker.messageId;

    JsonElement uid = message.has("uid") ? message.get("uid") : JsonNull.INSTANCE;
    JsonArray orders = new JsonArray();
    if (Python.truthy(uid)) {
      // The reference fails on an unknown uid (§7.5); an empty list lets the client keep its copy (D5).
      OrderRecord order = uid.isJsonPrimitive() ? ms.orders.get(uid.getAsString()) : null;
      if (order != null) {
        orders.add(syncEntry(order, messageId, run));
      }
    } else {
      for (OrderRecord order : ms.orders.values()) {
        if (order.state == OrderState.DRAFT && order.runId == run) {
          orders.add(syncEntry(order, messageId, run));
        }
      }
    }
    JsonObject payload = Broadcasts.syncAllMessage(ms, message, orders, messageId, uid);
    JsonObject payloadData = payload.getAsJsonObject("data");

    if (Python.truthy(message.get("immediate_rerendering"))) {
      return new Decided(payload, List.of());
    }
    asker.syncAllAt = clock.millis();
    asker.syncAllDevice = Broadcasts.device(message);
    Set<String> listed = new java.util.HashSet<>();
    for (JsonElement o : orders) {
      listed.add(o.getAsJsonObject().getAsJsonObject("data").get("uid").getAsString());
    }
    asker.syncAllUids = listed;
    // Sent through the bus so it is ordered with broadcasts on each terminal's stream; to every
    // terminal of the same Odoo user, each with its current counter (kept on purpose, §7.13).
    List<Outgoing> out = new ArrayList<>();
    for (Terminal t : broadcasts.members(ms)) {
      if (t.userId == userId) {
        payloadData.addProperty("message_ID", t.messageId);
        out.add(new Outgoing(Broadcasts.channel(t), Json.write(payload)));
      }
    }
    return new Decided(new JsonObject(), out);
  }

  private static JsonObject syncEntry(OrderRecord order, long messageId, long run) {
    JsonObject entry = order.message.deepCopy();
    JsonElement d = entry.get("data");
    JsonObject data;
    if (d != null && d.isJsonObject()) {
      data = d.getAsJsonObject();
    } else {
      data = new JsonObject();
      entry.add("data", data);
    }
    data.addProperty("message_ID", messageId);
    data.addProperty("revision_ID", order.revision);
    data.addProperty("run_ID", run);
    // Every line flagged, so a POS that missed updates re-applies all values, not only those of
    // the last update (docs/protocol-decisions.md, D16); the client changes only what differs.
    LineChanges.flag(data, OrderMerge.lines(data).keySet());
    return entry;
  }

  /**
   * Registers the asking POS here (creating it, or moving it from another multi-session of the
   * same database, counter kept) and records its current user.
   */
  private Terminal register(MultiSession ms, long posId, long userId, TerminalRow stored) {
    // A POS config moved to another multi-session: its old home skips it from now on. A
    // broadcast racing with the move can cost that POS one extra resync, never a lost order.
    Terminal t = terminals.register(new TerminalKey(ms.key.dbname(), posId), ms.key, userId,
        stored);
    ms.changed(t);
    ms.members.add(posId);
    return t;
  }
}
