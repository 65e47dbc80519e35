package io.possync.sync;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.possync.wire.Channel;
import static io.possync.sync.Fields.clientRevision;
import static io.possync.sync.Fields.optionalId;
import static io.possync.sync.Fields.requireObject;
import static io.possync.sync.Fields.requireString;
import static io.possync.wire.Json.orNull;
import io.possync.wire.Outgoing;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import io.possync.wire.Json;
import io.possync.wire.Python;

/**
 * The multi-session rules (docs/protocol.md §5): given one multi-session's state and one checked
 * message, decides the answer, the notifications and the rows to store. Pure: no I/O, no locks,
 * nothing that blocks; the caller serializes the decisions of one multi-session.
 */
public final class MultiSessionRules {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(MultiSessionRules.class);
  private static final String PAID_OFFLINE_NONCE = "paid offline";
  private static final long MESSAGE_ID_PLACEHOLDER = 9_007_199_254_740_993L;
  /** Revisions kept per order as merge bases: a writer this far behind is still merged. */
  static final int KEPT_REVISIONS = 32;
  /**
   * How long after a {@code sync_all} was published to a device its answer may still be on the
   * way: an update of that device accepted meanwhile gets a copy it applies (see updateOrder).
   */
  static final long SYNC_ALL_IN_FLIGHT_MILLIS = 10_000;

  private final Terminals terminals;
  private final OutboxPolicy outboxPolicy;
  private final ConflictPolicy conflicts;
  private final Clock clock;

  /**
   * @param terminals    the registered terminals of the multi-sessions in memory
   * @param outboxPolicy which databases queue work for the Odoo write-back
   * @param conflicts    what an update based on an older revision does (sync.conflicts)
   */
  public MultiSessionRules(Terminals terminals, OutboxPolicy outboxPolicy,
      ConflictPolicy conflicts, Clock clock) {
    this.terminals = terminals;
    this.outboxPolicy = outboxPolicy;
    this.conflicts = conflicts;
    this.clock = clock;
  }

  /**
   * Decides one message on its multi-session. On failure nothing of the decision is left in the
   * change set, but memory may be ahead of the store: the caller reloads it (unless the message was
   * merely invalid, which changes nothing).
   *
   * @param stored the stored row of the terminal a {@code sync_all} registers, if it has one and it
   *               is not in memory ({@link Message#registers()})
   */
  public Outcome decide(MultiSession ms, Message m, TerminalRow stored) {
    try {
      Decided d = switch (m.action()) {
        case UPDATE_ORDER -> updateOrder(ms, m.body(), m.data(), m.runId());
        case SYNC_ALL -> syncAll(ms, m.userId(), m.body(), m.data(), m.runId(), stored);
        case REMOVE_ORDER -> removeOrder(ms, m.body(), m.data(), m.runId());
        case OTHER -> {
          applyRunRule(ms, m.runId());
          // Unknown actions are relayed unchanged; the reference answers 1 (§5.1).
          yield new Decided(new JsonPrimitive(1), broadcast(ms, m.body(), m.data()));
        }
      };
      return new Outcome(d.result, d.notifications, ms.drainChanges(), d.verdict);
    } catch (RuntimeException e) {
      ms.discardChanges();
      throw e;
    }
  }

  /** What one action decided, before the changed rows are collected. */
  private record Decided(JsonElement result, List<Outgoing> notifications, Verdict verdict) {
    Decided(JsonElement result, List<Outgoing> notifications) {
      this(result, notifications, Verdict.APPLIED);
    }
  }

  /**
   * Purges deleted and unpaid orders of a run that ended before {@code horizon} (D4); the store
   * purges the multi-sessions not in memory by the same rule.
   */
  public Outcome purge(MultiSession ms, long horizon) {
    Iterator<OrderRecord> it = ms.orders.values().iterator();
    while (it.hasNext()) {
      OrderRecord o = it.next();
      if (o.state != OrderState.DRAFT && o.runId < ms.runId && ms.runStartedAt <= horizon) {
        it.remove();
        ms.purged(o);
      }
    }
    return new Outcome(JsonNull.INSTANCE, List.of(), ms.drainChanges(), Verdict.APPLIED);
  }

  // --- update_order (§5.5) ---------------------------------------------------------------

  private Decided updateOrder(MultiSession ms, JsonObject message, JsonObject data, Long runId) {
    String uid = requireString(data, "uid", "message.data.uid");
    BigInteger clientRevision = clientRevision(data);
    applyRunRule(ms, runId);
    Stored stored = storeOrder(ms, uid, message, data, clientRevision, runId);
    if (stored.refusal != null) {
      return new Decided(stored.refusal, List.of(), stored.refusal.has("order_uid")
          ? Verdict.REFUSED : Verdict.APPLIED);
    }
    OrderRecord order = stored.order;
    JsonObject storedData = order.message.getAsJsonObject("data");
    storedData.addProperty("revision_ID", order.revision);
    List<Outgoing> out = broadcast(ms, order.message, storedData);
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
      String device = device(message);
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
    Terminal t = writer(ms, message);
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
    JsonObject payload = syncAllPayload(ms, message, orders, t.messageId,
        new JsonPrimitive(order.uid));
    return new Outgoing(multiSessionChannel(t), Json.write(payload));
  }

  /**
   * A {@code sync_all} message (docs/protocol.md §5.6) listing {@code orders}, addressed to the
   * device that sent {@code message} (its session and login).
   */
  private static JsonObject syncAllPayload(MultiSession ms, JsonObject message, JsonArray orders,
      long messageId, JsonElement uid) {
    JsonObject payloadData = new JsonObject();
    payloadData.add("orders", orders);
    payloadData.addProperty("message_ID", messageId);
    payloadData.addProperty("order_ID", ms.orderId);
    payloadData.add("uid", uid);
    payloadData.add("login_number", orNull(message.get("login_number")));
    payloadData.add("session_id", orNull(message.get("session_id")));
    JsonObject payload = new JsonObject();
    payload.addProperty("action", "sync_all");
    payload.add("data", payloadData);
    return payload;
  }

  /**
   * Whether a sync_all answer published to the writer's device shortly before, listing this
   * order, may not have been applied yet. It holds the order as it was before this update;
   * applied after this update's answer, it would take the device back to it, and nothing later
   * would correct it.
   */
  private boolean syncAllInFlight(MultiSession ms, JsonObject message, String uid) {
    Terminal t = writer(ms, message);
    return t != null && t.syncAllDevice != null
        && t.syncAllDevice.equals(device(message))
        && clock.millis() - t.syncAllAt < SYNC_ALL_IN_FLIGHT_MILLIS
        && t.syncAllUids.contains(uid);
  }

  /** The terminal of the POS that sent {@code message} ({@code data.pos_id}), if registered. */
  private Terminal writer(MultiSession ms, JsonObject message) {
    Optional<BigInteger> posId = Python.integer(orNull(message.getAsJsonObject("data")
        .get("pos_id")));
    if (posId.isEmpty() || posId.get().bitLength() > 53) {
      return null;
    }
    return terminals.get(new TerminalKey(ms.key.dbname(), posId.get().longValue()));
  }

  /** The sending device: its session and login, as the client compares them. */
  private static String device(JsonObject message) {
    return Json.write(orNull(message.get("session_id"))) + "/"
        + Json.write(orNull(message.get("login_number")));
  }

  /** The result of the store step shared by update_order and paid-offline creation. */
  private record Stored(OrderRecord order, JsonObject refusal, OrderMerge.Result merge) {
    Stored(OrderRecord order, JsonObject refusal) {
      this(order, refusal, null);
    }
  }

  /**
   * Revision check and store (§5.5 steps 1–6) without broadcasting. {@code data} is
   * {@code message.data}; the stored message is {@code message} itself.
   */
  private Stored storeOrder(MultiSession ms, String uid, JsonObject message, JsonObject data,
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

  // --- sync_all (§5.6) --------------------------------------------------------------------

  private Decided syncAll(MultiSession ms, long userId, JsonObject message, JsonObject data,
      Long runId, TerminalRow stored) {
    long posId = Fields.requireId(data.get("pos_id"), "message.data.pos_id");
    applyRunRule(ms, runId);
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
    JsonObject payload = syncAllPayload(ms, message, orders, messageId, uid);
    JsonObject payloadData = payload.getAsJsonObject("data");

    if (Python.truthy(message.get("immediate_rerendering"))) {
      return new Decided(payload, List.of());
    }
    asker.syncAllAt = clock.millis();
    asker.syncAllDevice = device(message);
    Set<String> listed = new java.util.HashSet<>();
    for (JsonElement o : orders) {
      listed.add(o.getAsJsonObject().getAsJsonObject("data").get("uid").getAsString());
    }
    asker.syncAllUids = listed;
    // Sent through the bus so it is ordered with broadcasts on each terminal's stream; to every
    // terminal of the same Odoo user, each with its current counter (kept on purpose, §7.13).
    List<Outgoing> out = new ArrayList<>();
    for (Terminal t : members(ms)) {
      if (t.userId == userId) {
        payloadData.addProperty("message_ID", t.messageId);
        out.add(new Outgoing(multiSessionChannel(t), Json.write(payload)));
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

  // --- remove_order (§5.7) ----------------------------------------------------------------

  private Decided removeOrder(MultiSession ms, JsonObject message, JsonObject data, Long runId) {
    String uid = requireString(data, "uid", "message.data.uid");
    BigInteger clientRevision = clientRevision(data);
    JsonElement nonce = data.get("nonce");
    JsonObject paid = Message.paidOffline(data);
    JsonObject paidData = paid == null ? null : paid.getAsJsonObject("data");
    String paidUid = paid == null ? null : requireString(paidData, "uid", "order_data.data.uid");
    BigInteger paidRevision = paid == null ? null : clientRevision(paidData);
    Long paidRun = paid == null ? null : optionalId(paidData, "run_ID");
    applyRunRule(ms, runId);
    OrderRecord order = ms.orders.get(uid);

    if (order == null && paid != null) {
      // Paid while offline and never synced: create it from the order's own data, then tombstone
      // it. Both checks happen before anything is stored, so a conflict leaves no half-created
      // draft behind (the reference crashes or keeps a paid order as a draft, §7.6; D6).
      boolean creatable = ms.orders.get(paidUid) == null && paidRevision.equals(BigInteger.ONE);
      boolean removable = clientRevision.equals(BigInteger.ONE)
          || sameNonce(new JsonPrimitive(PAID_OFFLINE_NONCE), nonce);
      if (!creatable || !removable) {
        return new Decided(removeConflict(uid), List.of(), Verdict.REFUSED);
      }
      paidData.addProperty("nonce", PAID_OFFLINE_NONCE);
      order = storeOrder(ms, paidUid, paid, paidData, paidRevision, paidRun).order;
    } else if (order == null || order.state != OrderState.DELETED) {
      long serverRevision = order == null ? 1 : order.revision;
      boolean replay = order != null && sameNonce(order.nonce, nonce);
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
    List<Outgoing> out = broadcast(ms, message, data);
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
    JsonObject r = action("revision_error");
    r.addProperty("order_uid", uid);
    return r;
  }

  // --- shared steps -----------------------------------------------------------------------

  /**
   * A higher {@code run_ID} starts a new run: older drafts become unpaid and numbering restarts
   * at 1. The reference resets the counter only when such drafts existed (§7.8); we always do,
   * as the main Odoo server does at the same moment (D8).
   */
  private void applyRunRule(MultiSession ms, Long runId) {
    if (runId == null || runId <= ms.runId) {
      return;
    }
    ms.runId = runId;
    ms.counterChanged();
    ms.runStartedAt = clock.millis();
    ms.orderId = 0;
    for (OrderRecord o : ms.orders.values()) {
      if (o.state == OrderState.DRAFT && o.runId < runId) {
        o.state = OrderState.UNPAID;
        ms.changed(o);
      }
    }
  }

  /**
   * Sends {@code message} to every terminal of the multi-session, the sender included, each copy
   * with that terminal's next {@code message_ID} (§5.8).
   */
  private List<Outgoing> broadcast(MultiSession ms, JsonObject message, JsonObject data) {
    List<Terminal> recipients = members(ms);
    List<Outgoing> out = new ArrayList<>(recipients.size());
    if (recipients.isEmpty()) {
      return out;
    }
    // Serialize once; each copy differs only in message_ID. The placeholder is above 2^53, so a
    // real payload holding it is absurd, but if it does the copies are serialized one by one.
    data.addProperty("message_ID", MESSAGE_ID_PLACEHOLDER);
    String template = Json.write(message);
    String placeholder = Long.toString(MESSAGE_ID_PLACEHOLDER);
    boolean usable = template.indexOf(placeholder) == template.lastIndexOf(placeholder);
    for (Terminal t : recipients) {
      t.messageId++;
      ms.changed(t);
      data.addProperty("message_ID", t.messageId);
      String json = usable ? template.replace(placeholder, Long.toString(t.messageId))
          : Json.write(message);
      out.add(new Outgoing(multiSessionChannel(t), json));
    }
    return out;
  }

  /** The terminals whose home is this multi-session, dropping those that moved away. */
  private List<Terminal> members(MultiSession ms) {
    List<Terminal> out = new ArrayList<>(ms.members.size());
    Iterator<Long> it = ms.members.iterator();
    while (it.hasNext()) {
      Terminal t = terminals.get(new TerminalKey(ms.key.dbname(), it.next()));
      if (t == null || !t.home.equals(ms.key)) {
        it.remove();
      } else {
        out.add(t);
      }
    }
    return out;
  }

  private static Channel multiSessionChannel(Terminal t) {
    return Channel.multiSession(t.key.dbname(), t.key.posId());
  }

  private static JsonObject revisionError(String uid, OrderRecord order) {
    JsonObject r = action("revision_error");
    r.addProperty("order_uid", uid);
    if (order == null) {
      r.addProperty("state", false);
    } else {
      r.addProperty("state", order.state.wire());
    }
    return r;
  }

  private static JsonObject action(String name) {
    JsonObject r = new JsonObject();
    r.addProperty("action", name);
    return r;
  }

  /** A missing nonce never counts as a replay: it would silently drop a conflicting update. */
  private static boolean sameNonce(JsonElement stored, JsonElement incoming) {
    return stored != null && !stored.isJsonNull() && incoming != null && !incoming.isJsonNull()
        && Python.equal(stored, incoming);
  }

  /** A snapshot of one multi-session with its terminals, for the status page. */
  public MultiSessionOverview overview(MultiSession ms) {
    List<Terminal> registered = members(ms);
    List<TerminalStatus> list = new ArrayList<>(registered.size());
    for (Terminal t : registered) {
      list.add(new TerminalStatus(t.key.posId(), t.userId, t.messageId));
    }
    long drafts = ms.orders.values().stream().filter(o -> o.state == OrderState.DRAFT).count();
    return new MultiSessionOverview(ms.key, new MultiSessionStatus(ms.runId, ms.orderId,
        ms.orders.size(), drafts, registered.size()), List.copyOf(list));
  }
}
