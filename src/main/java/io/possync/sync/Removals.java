package io.possync.sync;

import static io.possync.sync.Fields.clientRevision;
import static io.possync.sync.Fields.optionalId;
import static io.possync.sync.Fields.requireString;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.possync.wire.Json;
import io.possync.wire.Outgoing;
import io.possync.wire.Python;
import java.math.BigInteger;
import java.time.Clock;
import java.util.List;
import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxPolicy;

/**
 * {@code remove_order} (docs/protocol.md §5.7): tombstones an order, creates first one paid while
 * offline and never synced, and queues the Odoo write-back in the same commit.
 */
final class Removals {
  private static final String PAID_OFFLINE_NONCE = "paid offline";

  private final OrderUpdates orders;
  private final Broadcasts broadcasts;
  private final OutboxPolicy outboxPolicy;
  private final ConflictPolicy conflicts;
  private final Clock clock;

  Removals(OrderUpdates orders, Broadcasts broadcasts, OutboxPolicy outboxPolicy,
      ConflictPolicy conflicts, Clock clock) {
    this.orders = orders;
    this.broadcasts = broadcasts;
    this.outboxPolicy = outboxPolicy;
    this.conflicts = conflicts;
    this.clock = clock;
  }

  Decided remove(MultiSession ms, JsonObject message, JsonObject data, Long runId) {
    String uid = requireString(data, "uid", "message.data.uid");
    BigInteger clientRevision = clientRevision(data);
    JsonElement nonce = data.get("nonce");
    JsonObject paid = Message.paidOffline(data);
    JsonObject paidData = paid == null ? null : paid.getAsJsonObject("data");
    String paidUid = paid == null ? null : requireString(paidData, "uid", "order_data.data.uid");
    BigInteger paidRevision = paid == null ? null : clientRevision(paidData);
    Long paidRun = paid == null ? null : optionalId(paidData, "run_ID");
    ms.applyRunRule(runId, clock.millis());
    OrderRecord order = ms.orders.get(uid);

    if (order == null && paid != null) {
      // Paid while offline and never synced: create it from the order's own data, then tombstone
      // it. Both checks happen before anything is stored, so a conflict leaves no half-created
      // draft behind (the reference crashes or keeps a paid order as a draft, §7.6; D6).
      boolean creatable = ms.orders.get(paidUid) == null && paidRevision.equals(BigInteger.ONE);
      boolean removable = clientRevision.equals(BigInteger.ONE)
          || OrderUpdates.sameNonce(new JsonPrimitive(PAID_OFFLINE_NONCE), nonce);
      if (!creatable || !removable) {
        return new Decided(removeConflict(uid), List.of(), Verdict.REFUSED);
      }
      paidData.addProperty("nonce", PAID_OFFLINE_NONCE);
      order = orders.store(ms, paidUid, paid, paidData, paidRevision, paidRun).order();
    } else if (order == null || order.state != OrderState.DELETED) {
      long serverRevision = order == null ? 1 : order.revision;
      boolean replay = order != null && OrderUpdates.sameNonce(order.nonce, nonce);
      if (!clientRevision.equals(BigInteger.valueOf(serverRevision)) && !replay
          && !lateRemovalAccepted(order, clientRevision, data)) {
        return new Decided(removeConflict(uid), List.of(), Verdict.REFUSED);
      }
    }
    if (order != null) {
      order.state = OrderState.DELETED;
      ms.historyBytes += order.forgetHistory(); // nothing merges into a removed order
      ms.changed(order);
    }
    queueWriteBack(ms, uid, data, paidData, order);
    // Clients read only data.uid of this broadcast; the whole paid order is dead weight (D9).
    data.remove("order_data");
    List<Outgoing> out = broadcasts.toAll(ms, message, data);
    JsonObject result = new JsonObject();
    result.addProperty("order_ID", ms.orderId);
    return new Decided(result, out);
  }

  /**
   * Under {@code merge}, a removal based on an older revision wins like any later arrival (a
   * concurrent edit of a removed order cannot be kept), when that revision is still known or the
   * order was finalized (paid: it is gone whatever changed meanwhile).
   */
  private boolean lateRemovalAccepted(OrderRecord order, BigInteger clientRevision,
      JsonObject data) {
    if (conflicts != ConflictPolicy.MERGE || order == null) {
      return false;
    }
    return Python.truthy(data.get("finalized"))
        || (clientRevision.bitLength() <= 63 && order.keeps(clientRevision.longValue()));
  }

  /**
   * Queues the Odoo write-back of an accepted removal, in the same commit: a paid-offline order
   * (its {@code order_data}, as the terminal sent it) is delivered; an order finalized online is
   * only checked later (never invent order data). Repeats are ignored by the store (same key).
   */
  private void queueWriteBack(MultiSession ms, String uid, JsonObject data, JsonObject paidData,
      OrderRecord order) {
    String db = ms.key.dbname();
    if (paidData != null) {
      if (outboxPolicy.delivers(db)) {
        JsonElement raw = data.get("order_data");
        String payload = raw.isJsonPrimitive() ? raw.getAsString() : Json.write(raw);
        ms.queue(new OutboxEntry(db, uid, OutboxEntry.Kind.DELIVER, name(paidData), payload));
      }
    } else if (order != null && Python.truthy(data.get("finalized")) && outboxPolicy.reconciles(db)) {
      JsonElement stored = order.message.get("data");
      String name = stored != null && stored.isJsonObject() ? name(stored.getAsJsonObject()) : null;
      if (name != null) {
        ms.queue(new OutboxEntry(db, uid, OutboxEntry.Kind.RECONCILE, name, null));
      }
    }
  }

  private static String name(JsonObject orderData) {
    JsonElement name = orderData.get("name");
    return name != null && name.isJsonPrimitive() && name.getAsJsonPrimitive().isString()
        ? name.getAsString() : null;
  }

  private static JsonObject removeConflict(String uid) {
    JsonObject r = OrderUpdates.action("revision_error");
    r.addProperty("order_uid", uid);
    return r;
  }
}
