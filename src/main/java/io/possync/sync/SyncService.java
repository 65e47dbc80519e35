package io.possync.sync;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxPolicy;
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
 * Decides every multi-session message (PROTOCOL.md §5) and hands the outcome to an
 * {@link OutcomeSink}. Holding one multi-session's lock it validates the whole message first (so
 * bad input changes nothing), applies the run rule, then the action.
 */
public final class SyncService {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SyncService.class);
  private static final String PAID_OFFLINE_NONCE = "paid offline";
  private static final long MESSAGE_ID_PLACEHOLDER = 9_007_199_254_740_993L;
  /** Rough heap cost of a parsed order relative to its JSON text, for the cache's weigher. */
  private static final int TREE_OVERHEAD = 6;
  /** Revisions kept per order as merge bases: a writer this far behind is still merged. */
  static final int KEPT_REVISIONS = 32;
  /**
   * How long after a {@code sync_all} was published to a device its answer may still be on the
   * way: an update of that device accepted meanwhile gets a copy it applies (see updateOrder).
   */
  static final long SYNC_ALL_IN_FLIGHT_MILLIS = 10_000;

  private final OutcomeSink sink;
  private final StateLoader loader;
  private final OutboxPolicy outboxPolicy;
  private final int maxLines;
  private final ConflictPolicy conflicts;
  private final Clock clock;
  private final Duration orderRetention;
  /** Hot multi-sessions; cold ones are evicted and reloaded from the store on demand. */
  private final Cache<MultiSessionKey, MultiSession> sessions;
  /**
   * Multi-sessions with outcomes not yet committed. Such an object must not be reloaded from the
   * store (which lacks those outcomes), so the cache's loader hands out the pinned object.
   */
  private final ConcurrentMap<MultiSessionKey, MultiSession> pinned = new ConcurrentHashMap<>();
  private final ConcurrentMap<TerminalKey, Terminal> terminals = new ConcurrentHashMap<>();

  /** A service without a store: state lives only in memory and is never evicted (unit tests). */
  public SyncService(OutcomeSink sink, Clock clock, Duration orderRetention) {
    this(sink, StateLoader.NONE, OutboxPolicy.NONE, clock, orderRetention, Long.MAX_VALUE);
  }

  /**
   * @param loader         reads multi-sessions that are not in memory
   * @param outboxPolicy   which databases queue work for the Odoo write-back
   * @param orderRetention how long deleted and unpaid orders of an ended run are kept (D4)
   * @param hotBytes       approximate heap the hot multi-sessions may take before the least
   *                       recently used are evicted
   */
  public SyncService(OutcomeSink sink, StateLoader loader, OutboxPolicy outboxPolicy, Clock clock,
      Duration orderRetention, long hotBytes) {
    this(sink, loader, outboxPolicy, clock, orderRetention, hotBytes, Integer.MAX_VALUE);
  }

  /**
   * @param maxLines most lines one order may carry (limits.lines_per_order)
   */
  public SyncService(OutcomeSink sink, StateLoader loader, OutboxPolicy outboxPolicy, Clock clock,
      Duration orderRetention, long hotBytes, int maxLines) {
    this(sink, loader, outboxPolicy, clock, orderRetention, hotBytes, maxLines,
        ConflictPolicy.MERGE);
  }

  /**
   * @param conflicts what an update based on an older revision does (sync.conflicts)
   */
  public SyncService(OutcomeSink sink, StateLoader loader, OutboxPolicy outboxPolicy, Clock clock,
      Duration orderRetention, long hotBytes, int maxLines, ConflictPolicy conflicts) {
    this.maxLines = maxLines;
    this.conflicts = conflicts;
    this.sink = sink;
    this.loader = loader;
    this.outboxPolicy = outboxPolicy;
    this.clock = clock;
    this.orderRetention = orderRetention;
    this.sessions = Caffeine.newBuilder()
        .maximumWeight(hotBytes)
        .<MultiSessionKey, MultiSession>weigher((k, ms) ->
            (int) Math.min(Integer.MAX_VALUE, 1024 + TREE_OVERHEAD * Math.max(0, ms.bytes)
                + Math.max(0, ms.historyBytes)))
        .build();
  }

  /**
   * Processes one update call. The future completes with the JSON-RPC {@code result} once the
   * outcome is durable and published.
   *
   * @throws InvalidMessageException if the message is malformed; nothing was changed
   */
  public CompletableFuture<JsonElement> update(UpdateRequest request) {
    JsonObject message = request.message();
    String action = requireString(message, "action", "message.action");
    JsonObject data = requireObject(message, "data", "message.data");
    Long runId = optionalId(data, "run_ID");
    validate(action, message, data);
    MultiSessionKey key = new MultiSessionKey(request.dbname(), request.multiSessionId());
    return decide(key, ms -> switch (action) {
      case "update_order" -> updateOrder(ms, message, data, runId);
      case "sync_all" -> syncAll(ms, request.userId(), message, data, runId);
      case "remove_order" -> removeOrder(ms, message, data, runId);
      default -> {
        applyRunRule(ms, runId);
        // Unknown actions are relayed unchanged; the reference answers 1 (§5.1).
        yield new Outcome(new JsonPrimitive(1), broadcast(ms, message, data));
      }
    });
  }

  /**
   * Runs one decision on the multi-session, holding its lock, and hands the outcome with the
   * changed rows to the sink while still holding it, so outcomes reach the sink in decision order.
   */
  private CompletableFuture<JsonElement> decide(MultiSessionKey key,
      Function<MultiSession, Outcome> decision) {
    while (true) {
      MultiSession ms = sessions.get(key, this::loadOrPinned);
      ms.lock.lock();
      try {
        if (ms.broken || sessions.getIfPresent(key) != ms) {
          continue; // evicted or failed meanwhile: take the current object
        }
        pin(ms);
        Outcome decided;
        try {
          decided = decision.apply(ms);
        } catch (RuntimeException e) {
          ms.discardChanges();
          unpin(ms);
          if (!(e instanceof InvalidMessageException)) {
            // A fault halfway through may have left memory ahead of the store: reload it.
            ms.broken = true;
            sessions.asMap().remove(key, ms);
          }
          throw e;
        }
        Outcome outcome = new Outcome(decided.result(), decided.notifications(),
            ms.drainChanges());
        CompletableFuture<Void> committed = sink.accept(outcome);
        sessions.put(key, ms); // re-weigh after the change
        committed.whenComplete((done, failure) -> {
          if (failure != null) {
            // Not durable: memory is ahead of the store, so the next request reloads from it.
            ms.broken = true;
            sessions.asMap().remove(key, ms);
          }
          unpin(ms);
        });
        return committed.thenApply(done -> outcome.result());
      } finally {
        ms.lock.unlock();
      }
    }
  }

  private MultiSession loadOrPinned(MultiSessionKey key) {
    MultiSession p = pinned.get(key);
    if (p != null && !p.broken) {
      return p;
    }
    Optional<MultiSessionSnapshot> snapshot = loader.loadMultiSession(key);
    if (snapshot.isEmpty()) {
      MultiSession fresh = new MultiSession(key, clock.millis());
      fresh.counterChanged(); // the row does not exist yet
      return fresh;
    }
    MultiSessionRow row = snapshot.get().multiSession();
    MultiSession ms = new MultiSession(key, row.runStartedAt());
    ms.runId = row.runId();
    ms.orderId = row.orderId();
    for (TerminalRow t : snapshot.get().terminals()) {
      Terminal terminal = terminals.computeIfAbsent(t.key(), k -> Terminal.fromRow(t));
      if (terminal.home.equals(key)) {
        ms.members.add(t.key().posId());
      }
    }
    for (OrderRow o : snapshot.get().orders()) {
      OrderRecord order = OrderRecord.fromRow(o);
      ms.orders.put(order.uid, order);
      ms.bytes += order.bytes;
    }
    return ms;
  }

  private void pin(MultiSession ms) {
    pinned.compute(ms.key, (k, current) -> {
      ms.pins++;
      return ms;
    });
  }

  private void unpin(MultiSession ms) {
    pinned.compute(ms.key, (k, current) -> {
      ms.pins--;
      return current == ms && ms.pins == 0 ? null : current;
    });
  }

  /**
   * Purges deleted and unpaid orders of runs that ended more than the retention ago (D4), in the
   * multi-sessions held in memory; the store purges the cold ones by the same rule.
   */
  public void purgeOldOrders() {
    long horizon = clock.millis() - orderRetention.toMillis();
    for (MultiSessionKey key : List.copyOf(sessions.asMap().keySet())) {
      MultiSession ms = sessions.getIfPresent(key);
      if (ms == null || ms.runStartedAt > horizon) {
        continue;
      }
      decide(key, locked -> {
        Iterator<OrderRecord> it = locked.orders.values().iterator();
        while (it.hasNext()) {
          OrderRecord o = it.next();
          if (o.state != OrderState.DRAFT && o.runId < locked.runId
              && locked.runStartedAt <= horizon) {
            it.remove();
            locked.purged(o);
          }
        }
        return new Outcome(JsonNull.INSTANCE, List.of());
      });
    }
  }

  /**
   * Whether the POS config {@code posId} is registered in this multi-session (it registers with
   * its first sync_all, before it polls). Asks the store for terminals not in memory.
   */
  public boolean isTerminalOf(MultiSessionKey key, long posId) {
    TerminalKey tk = new TerminalKey(key.dbname(), posId);
    Terminal t = terminals.get(tk);
    if (t != null) {
      return t.home.equals(key);
    }
    return loader.loadTerminal(tk).map(row -> row.multiSessionId() == key.multiSessionId())
        .orElse(false);
  }

  /** Number of multi-sessions held in memory. */
  public long multiSessionCount() {
    sessions.cleanUp();
    return sessions.estimatedSize();
  }

  /**
   * Checks what the action will read before any state is touched, so that a malformed message
   * neither changes nor creates anything (the actions read the same keys again).
   */
  private void validate(String action, JsonObject message, JsonObject data) {
    switch (action) {
      case "update_order" -> {
        requireString(data, "uid", "message.data.uid");
        clientRevision(data);
        requireLineCount(data);
      }
      case "sync_all" -> Fields.requireId(data.get("pos_id"), "message.data.pos_id");
      case "remove_order" -> {
        requireString(data, "uid", "message.data.uid");
        clientRevision(data);
        JsonObject paid = paidOfflineMessage(data);
        if (paid != null) {
          JsonObject paidData = paid.getAsJsonObject("data");
          requireString(paidData, "uid", "order_data.data.uid");
          clientRevision(paidData);
          optionalId(paidData, "run_ID");
          requireLineCount(paidData);
        }
      }
      default -> { }
    }
  }

  private void requireLineCount(JsonObject data) {
    JsonElement lines = data.get("lines");
    if (lines != null && lines.isJsonArray() && lines.getAsJsonArray().size() > maxLines) {
      throw new InvalidMessageException("an order may have at most " + maxLines
          + " lines (limits.lines_per_order)");
    }
  }

  // --- update_order (§5.5) ---------------------------------------------------------------

  private Outcome updateOrder(MultiSession ms, JsonObject message, JsonObject data, Long runId) {
    String uid = requireString(data, "uid", "message.data.uid");
    BigInteger clientRevision = clientRevision(data);
    applyRunRule(ms, runId);
    Stored stored = storeOrder(ms, uid, message, data, clientRevision, runId);
    if (stored.refusal != null) {
      return new Outcome(stored.refusal, List.of());
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
    return new Outcome(result, out);
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
    JsonObject payloadData = new JsonObject();
    payloadData.add("orders", orders);
    payloadData.addProperty("message_ID", t.messageId);
    payloadData.addProperty("order_ID", ms.orderId);
    payloadData.addProperty("uid", order.uid);
    payloadData.add("login_number", orNull(message.get("login_number")));
    payloadData.add("session_id", orNull(message.get("session_id")));
    JsonObject payload = new JsonObject();
    payload.addProperty("action", "sync_all");
    payload.add("data", payloadData);
    return new Outgoing(multiSessionChannel(t), Json.write(payload));
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

  private Outcome syncAll(MultiSession ms, long userId, JsonObject message, JsonObject data,
      Long runId) {
    long posId = Fields.requireId(data.get("pos_id"), "message.data.pos_id");
    applyRunRule(ms, runId);
    long run = runId != null ? runId : ms.runId;
    Terminal asker = register(ms, posId, userId);
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

    if (Python.truthy(message.get("immediate_rerendering"))) {
      return new Outcome(payload, List.of());
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
    return new Outcome(new JsonObject(), out);
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
  private Terminal register(MultiSession ms, long posId, long userId) {
    Terminal t = terminals.computeIfAbsent(new TerminalKey(ms.key.dbname(), posId),
        k -> loader.loadTerminal(k).map(Terminal::fromRow).orElseGet(
            () -> new Terminal(k, ms.key, userId)));
    // A POS config moved to another multi-session: its old home skips it from now on. A
    // broadcast racing with the move can cost that POS one extra resync, never a lost order.
    t.home = ms.key;
    t.userId = userId;
    ms.changed(t);
    ms.members.add(posId);
    return t;
  }

  // --- remove_order (§5.7) ----------------------------------------------------------------

  private Outcome removeOrder(MultiSession ms, JsonObject message, JsonObject data, Long runId) {
    String uid = requireString(data, "uid", "message.data.uid");
    BigInteger clientRevision = clientRevision(data);
    JsonElement nonce = data.get("nonce");
    JsonObject paid = paidOfflineMessage(data);
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
        return new Outcome(removeConflict(uid), List.of());
      }
      paidData.addProperty("nonce", PAID_OFFLINE_NONCE);
      order = storeOrder(ms, paidUid, paid, paidData, paidRevision, paidRun).order;
    } else if (order == null || order.state != OrderState.DELETED) {
      long serverRevision = order == null ? 1 : order.revision;
      boolean replay = order != null && sameNonce(order.nonce, nonce);
      if (!clientRevision.equals(BigInteger.valueOf(serverRevision)) && !replay
          && !lateRemovalAccepted(order, clientRevision, data)) {
        return new Outcome(removeConflict(uid), List.of());
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
    return new Outcome(result, out);
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

  /** Parses {@code data.order_data} (a JSON string {@code {"id":…,"data":{…}}}), if present. */
  private static JsonObject paidOfflineMessage(JsonObject data) {
    JsonElement raw = Json.get(data, "order_data");
    if (raw == null || (raw.isJsonPrimitive() && raw.getAsJsonPrimitive().isBoolean()
        && !raw.getAsBoolean())) {
      return null;
    }
    JsonElement parsed;
    try {
      parsed = raw.isJsonPrimitive() && raw.getAsJsonPrimitive().isString()
          ? JsonParser.parseString(raw.getAsString()) : raw;
    } catch (RuntimeException e) {
      throw new InvalidMessageException("message.data.order_data is not valid JSON");
    }
    if (!parsed.isJsonObject() || !parsed.getAsJsonObject().has("data")
        || !parsed.getAsJsonObject().get("data").isJsonObject()) {
      throw new InvalidMessageException("message.data.order_data must hold an object with data");
    }
    return parsed.getAsJsonObject();
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

  /** A snapshot of one multi-session for tests and the status page, if it exists. */
  public Optional<MultiSessionStatus> status(MultiSessionKey key) {
    MultiSession ms = sessions.getIfPresent(key);
    if (ms == null) {
      return Optional.empty();
    }
    ms.lock.lock();
    try {
      return Optional.of(statusLocked(ms, members(ms).size()));
    } finally {
      ms.lock.unlock();
    }
  }

  /**
   * Snapshots of the multi-sessions held in memory, with their terminals, ordered by database and
   * id: every multi-session used since the start, unless {@code state.hot_bytes} evicted it.
   * Takes each one's lock in turn, never two at once.
   */
  public List<MultiSessionOverview> hotMultiSessions() {
    List<MultiSessionOverview> out = new ArrayList<>();
    for (MultiSession ms : List.copyOf(sessions.asMap().values())) {
      ms.lock.lock();
      try {
        List<Terminal> registered = members(ms);
        List<TerminalStatus> terminals = new ArrayList<>(registered.size());
        for (Terminal t : registered) {
          terminals.add(new TerminalStatus(t.key.posId(), t.userId, t.messageId));
        }
        out.add(new MultiSessionOverview(ms.key, statusLocked(ms, registered.size()),
            List.copyOf(terminals)));
      } finally {
        ms.lock.unlock();
      }
    }
    out.sort(java.util.Comparator.comparing((MultiSessionOverview o) -> o.key().dbname())
        .thenComparingLong(o -> o.key().multiSessionId()));
    return out;
  }

  // guarded by ms.lock
  private static MultiSessionStatus statusLocked(MultiSession ms, int terminals) {
    long drafts = ms.orders.values().stream().filter(o -> o.state == OrderState.DRAFT).count();
    return new MultiSessionStatus(ms.runId, ms.orderId, ms.orders.size(), drafts, terminals);
  }
}
