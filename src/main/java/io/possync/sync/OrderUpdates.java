package io.possync.sync;

import static io.possync.sync.Fields.clientRevision;
import static io.possync.sync.Fields.requireString;
import static io.possync.wire.Json.orNull;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.possync.wire.Json;
import io.possync.wire.Outgoing;
import io.possync.wire.Python;
import java.math.BigInteger;
import java.time.Clock;
import java.util.List;
import java.util.Set;

/**
 * {@code update_order} (docs/protocol.md §5.5): the revision check, replays, merging a late update
 * with the changes made meanwhile (docs/conflicts.md), numbering new orders, and the copy of the
 * stored order its writer's device needs when that differs from what it sent.
 */
final class OrderUpdates {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(MultiSessionRules.class);
  /** Revisions kept per order as merge bases: a writer this far behind is still merged. */
  static final int KEPT_REVISIONS = 32;
  /**
   * How long after a {@code sync_all} was published to a device its answer may still be on the
   * way: an update of that device accepted meanwhile gets a copy it applies (see update).
   */
  static final long SYNC_ALL_IN_FLIGHT_MILLIS = 10_000;

  private final Broadcasts broadcasts;
  private final ConflictPolicy conflicts;
  private final Clock clock;

  OrderUpdates(Broadcasts broadcasts, ConflictPolicy conflicts, Clock clock) {
    this.broadcasts = broadcasts;
    this.conflicts = conflicts;
    this.clock = clock;
  }

  Decided update(MultiSession ms, JsonObject message, JsonObject data, Long runId) {
    String uid = requireString(data, "uid", "message.data.uid");
    BigInteger clientRevision = clientRevision(data);
    ms.applyRunRule(runId, clock.millis());
    Stored stored = store(ms, uid, message, data, clientRevision, runId);
    if (stored.refusal != null) {
      return new Decided(stored.refusal, List.of(), stored.refusal.has("order_uid")
          ? Verdict.REFUSED : Verdict.APPLIED);
    }
    OrderRecord order = stored.order;
    JsonObject storedData = order.message.getAsJsonObject("data");
    storedData.addProperty("revision_ID", order.revision);
    List<Outgoing> out = broadcasts.toAll(ms, order.message, storedData);
    // The writer skips the broadcast (its own echo). When what was stored is not what it sent (a
    // merge), or when a sync_all answer taken before this update may still be on its way to it
    // (it would take the order back), it gets the stored order in a form it applies.
    Set<String> flagged = stored.merge != null ? stored.merge.changedForWriter() : null;
    if (flagged == null && syncAllInFlight(ms, message, order.uid)) {
      flagged = OrderMerge.lines(storedData).keySet();
    }
    if (flagged != null) {
      // A copy sent for a later revision than this update's base has not reached the device
      // when it sent this; applied after the device's newer edits, it flagged values back to
      // older ones. This copy flags every line, so the device ends with the stored order.
      String device = Broadcasts.device(message);
      if (order.copiesSent.getOrDefault(device, 0L) > clientRevision.longValue()) {
        flagged = OrderMerge.lines(storedData).keySet();
      }
      Outgoing copy = writerCopy(ms, message, order, flagged);
      if (copy != null) {
        out.add(copy);
        order.copiesSent.put(device, order.revision);
      }
    }
    JsonObject result = new JsonObject();
    result.addProperty("action", "update_revision_ID");
    // After a merge the writer keeps its revision until the merged order reaches it: an edit made
    // before that is merged again, instead of overwriting the other side's changes.
    if (stored.merge != null) {
      result.addProperty("revision_ID", clientRevision);
    } else {
      result.addProperty("revision_ID", order.revision);
    }
    result.addProperty("uid", order.uid);
    result.add("order_ID", orNull(storedData.get("sequence_number")));
    result.addProperty("run_ID", order.runId);
    if (stored.merge != null) {
      result.addProperty("merged", true);
    }
    return new Decided(result, out, stored.merge != null ? Verdict.MERGED : Verdict.APPLIED);
  }

  /**
   * The stored order as a {@code sync_all} for one uid, addressed to the writer's device: the
   * client skips broadcasts carrying its own session and login, but applies a sync_all that does
   * (pos_multi_session.js 12.0, {@code updates_from_server_callback}); other devices of the same
   * POS skip it and only adopt its {@code message_ID}. Lines in {@code flagged} carry
   * {@code is_changed}, so the device re-applies their values; the others keep the device's own
   * (possibly newer) values.
   */
  private Outgoing writerCopy(MultiSession ms, JsonObject message, OrderRecord order,
      Set<String> flagged) {
    Terminal t = broadcasts.writer(ms, message);
    if (t == null || !t.home.equals(ms.key) || !ms.members.contains(t.key.posId())) {
      return null;
    }
    t.messageId++;
    ms.changed(t);
    JsonObject entry = order.message.deepCopy();
    JsonObject data = entry.getAsJsonObject("data");
    data.addProperty("message_ID", t.messageId);
    data.addProperty("revision_ID", order.revision);
    data.addProperty("run_ID", order.runId);
    LineChanges.flag(data, flagged);
    JsonArray orders = new JsonArray();
    orders.add(entry);
    JsonObject payload = Broadcasts.syncAllMessage(ms, message, orders, t.messageId,
        new JsonPrimitive(order.uid));
    return new Outgoing(Broadcasts.channel(t), Json.write(payload));
  }

  /**
   * Whether a sync_all answer published to the writer's device shortly before, listing this
   * order, may not have been applied yet. It holds the order as it was before this update;
   * applied after this update's answer, it would take the device back to it, and nothing later
   * would correct it.
   */
  private boolean syncAllInFlight(MultiSession ms, JsonObject message, String uid) {
    Terminal t = broadcasts.writer(ms, message);
    return t != null && t.syncAllDevice != null
        && t.syncAllDevice.equals(Broadcasts.device(message))
        && clock.millis() - t.syncAllAt < SYNC_ALL_IN_FLIGHT_MILLIS
        && t.syncAllUids.contains(uid);
  }

  /** The result of the store step shared by update_order and paid-offline creation. */
  record Stored(OrderRecord order, JsonObject refusal, OrderMerge.Result merge) {
    Stored(OrderRecord order, JsonObject refusal) {
      this(order, refusal, null);
    }
  }

  /**
   * Revision check and store (§5.5 steps 1–6) without broadcasting. {@code data} is
   * {@code message.data}; the stored message is {@code message} itself.
   */
  Stored store(MultiSession ms, String uid, JsonObject message, JsonObject data,
      BigInteger clientRevision, Long runId) {
    OrderRecord order = ms.orders.get(uid);
    JsonElement nonce = data.get("nonce");
    long serverRevision = order == null ? 1 : order.revision;
    long run = runId != null ? runId : ms.runId;
    if (!clientRevision.equals(BigInteger.valueOf(serverRevision))) {
      if (order != null && sameNonce(order.nonce, nonce)) {
        return new Stored(null, action("")); // a replay of the update that set this revision
      }
      long baseRevision = clientRevision.bitLength() > 63 ? -1 : clientRevision.longValue();
      if (order == null || order.state == OrderState.DELETED
          || conflicts != ConflictPolicy.MERGE || !order.keeps(baseRevision)) {
        if (order != null && LOG.isDebugEnabled()) {
          LOG.debug("event=order_refused uid={} base_revision={} stored_revision={} state={}"
              + " policy={}", uid, clientRevision, order.revision, order.state.wire(), conflicts);
        }
        return new Stored(null, revisionError(uid, order));
      }
      List<OrderRecord.Version> versions = order.versions();
      JsonObject base = versions.stream().filter(v -> v.revision() == baseRevision).findFirst()
          .orElseThrow().message();
      OrderMerge.Result merged = OrderMerge.merge(dataOf(base), dataOf(order.message), data,
          OrderMerge.Writer.of(message),
          versions.stream().map(OrderRecord.Version::message).toList(),
          versions.stream().filter(v -> v.revision() > baseRevision)
              .map(v -> dataOf(v.message())).toList());
      if (LOG.isDebugEnabled()) {
        LOG.debug("event=order_merged uid={} base_revision={} stored_revision={} conflicts={}"
            + " base={} stored={} sent={} merged={}", uid, clientRevision, order.revision,
            merged.conflicts(), Json.write(base), Json.write(order.message), Json.write(message),
            Json.write(merged.data()));
      }
      message.add("data", merged.data());
      LineChanges.mark(merged.data(), order.message);
      accept(ms, order, message, nonce, run);
      return new Stored(order, null, merged);
    }
    if (order != null && order.state == OrderState.DELETED) {
      return new Stored(null, revisionError(uid, order));
    }
    if (order != null) {
      LineChanges.mark(data, order.message);
      if (LOG.isTraceEnabled()) {
        LOG.trace("event=order_accepted uid={} revision={} sent={}", uid, order.revision + 1,
            Json.write(message));
      }
      accept(ms, order, message, nonce, run);
      return new Stored(order, null);
    }
    long sequence = ms.orderId + 1;
    JsonElement proposed = data.get("sequence_number");
    if (!Python.equal(proposed, new JsonPrimitive(sequence))) {
      data.addProperty("sequence_number", sequence); // the server owns the numbering
    }
    order = new OrderRecord(uid, message, nonce, OrderState.DRAFT, 1, run);
    ms.orders.put(uid, order);
    ms.orderId = sequence;
    ms.changed(order);
    ms.counterChanged();
    return new Stored(order, null);
  }

  /** Stores {@code message} as the order's next revision, keeping the current one as a base. */
  private void accept(MultiSession ms, OrderRecord order, JsonObject message, JsonElement nonce,
      long run) {
    ms.historyBytes += order.keepCurrent(conflicts == ConflictPolicy.MERGE ? KEPT_REVISIONS : 0);
    order.message = message;
    order.revision++;
    order.runId = run; // an unpaid order stays unpaid (kept on purpose, §7.9)
    order.nonce = nonce;
    ms.changed(order);
  }

  private static JsonObject dataOf(JsonObject message) {
    JsonElement d = message.get("data");
    return d != null && d.isJsonObject() ? d.getAsJsonObject() : new JsonObject();
  }

  static JsonObject revisionError(String uid, OrderRecord order) {
    JsonObject r = action("revision_error");
    r.addProperty("order_uid", uid);
    if (order == null) {
      r.addProperty("state", false);
    } else {
      r.addProperty("state", order.state.wire());
    }
    return r;
  }

  static JsonObject action(String name) {
    JsonObject r = new JsonObject();
    r.addProperty("action", name);
    return r;
  }

  /** A missing nonce never counts as a replay: it would silently drop a conflicting update. */
  static boolean sameNonce(JsonElement stored, JsonElement incoming) {
    return stored != null && !stored.isJsonNull() && incoming != null && !incoming.isJsonNull()
        && Python.equal(stored, incoming);
  }
}
