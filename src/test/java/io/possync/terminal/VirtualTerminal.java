package io.possync.terminal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A virtual Odoo 12 POS terminal running {@code pos_multi_session}: the client side of
 * docs/protocol.md §5 over real HTTP, behaving as {@code pos_multi_session.js} and
 * {@code pos_longpolling} do.
 *
 * <p>Life cycle (§5.13): {@link #start()} sends the loading {@code sync_all} with
 * {@code immediate_rerendering} until it succeeds, then starts the bus — a poll loop on
 * {@code ["<db>","pos.longpolling","<pos>"]} and {@code ["<db>","pos.multi_session","<pos>"]}
 * tracking {@code last}, and a PING — and, when the bus first reports online, a plain
 * {@code sync_all}. Order changes go out through a one-at-a-time queue; the next request is built
 * only after the previous answer (§3.1).
 *
 * <pre>{@code
 * try (TerminalRuntime runtime = new TerminalRuntime()) {
 *   VirtualTerminal till = runtime.terminal(
 *       TerminalConfig.of(URI.create("http://127.0.0.1:8079"), "odoo12", 1, 1, 2, 11));
 *   till.start().join();
 *   String uid = till.newOrder();
 *   till.edit(uid, order -> order.addProduct(50, 4.8));
 *   till.whenIdle().join();
 * }
 * }</pre>
 *
 * <p>Threading: every handler runs under one lock per terminal, the way the POS runs everything on
 * one JavaScript thread. HTTP is asynchronous and callbacks run on the {@link TerminalRuntime}'s
 * shared workers, so a terminal holds no thread of its own. All public methods are thread-safe.
 *
 * <p>Client quirks reproduced on purpose, because a real terminal has them too:
 * <ul>
 *   <li>An order created from another POS's data gets line uids computed locally (Odoo's
 *       {@code Orderline} returns early from {@code init_from_JSON}; pos_multi_session then sets
 *       {@code uid} from this POS's session and login). They are replaced by the server's line
 *       uids at the next update of that order, so compare lines with {@link OrderView#summary()}.
 *   <li>Updates and removals of one order share the {@code enquied} flag: a removal asked for
 *       while an update of the same order waits in the queue is dropped.
 *   <li>{@code update_revision_ID} is adopted only by orders still on the screen: a removal
 *       asked while the order's update is unanswered carries the old revision, the server
 *       refuses it and the order comes back.
 *   <li>Lines are re-applied only when the message flags them {@code is_changed} (PosSync flags
 *       every line of a sync_all, so a POS that missed updates catches up; docs/conflicts.md).
 *   <li>An answer to an update marks every line of its order as known to the server, also lines
 *       added after that update left; a message about the order that comes before their own
 *       update left removes them ({@code set_orderlines_offline}).
 *   <li>The line merge keeps duplicate uids as the POS's {@code not_found} array does.
 * </ul>
 * Timing as in a browser: the next queued request is built in the same task as the previous
 * answer (jQuery 1.11 runs deferred callbacks at once), and {@code setTimeout(0)} runs right after
 * the current task.
 * Deliberate differences: no UI (order selection, empty-order replacement, popups are counted in
 * {@link TerminalStats}); the loading step keeps retrying even if another sync_all is in flight;
 * the main Odoo server is modelled only as "reachable unless the network is cut" (for pushing
 * paid orders, §5.12).
 */
public final class VirtualTerminal implements AutoCloseable {
  private static final String UPDATE_PATH = "/pos_multi_session_sync/update";
  private static final String POLL_PATH = "/longpolling/poll";
  private static final String PING_PATH = "/pos_longpolling/update";
  private static final String MULTI_SESSION = "pos.multi_session";
  private static final String LONGPOLLING = "pos.longpolling";
  /** {@code time.date_to_utc}: how JSON.stringify writes JS dates in Odoo (§2.1). */
  private static final DateTimeFormatter CREATION_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private final TerminalConfig config;
  private final Timing timing;
  private final ScheduledExecutorService timers;
  private final Executor workers;
  private final TerminalLink link;
  private final JsonArray channels = new JsonArray();
  private final JsonObject myInfo;
  private final List<TerminalListener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> loaded = new CompletableFuture<>();

  private final AtomicLong conflictPopups = new AtomicLong();
  private final AtomicLong revisionErrors = new AtomicLong();
  private final AtomicLong offlinePopups = new AtomicLong();
  private final AtomicLong syncAllsSent = new AtomicLong();
  private final AtomicLong syncAllsReceived = new AtomicLong();
  private final AtomicLong gapsDetected = new AtomicLong();
  private final AtomicLong echoesIgnored = new AtomicLong();
  private final AtomicLong updatesSent = new AtomicLong();
  private final AtomicLong removesSent = new AtomicLong();
  private final AtomicLong requestsFailed = new AtomicLong();
  private final AtomicLong pollsAnswered = new AtomicLong();
  private final AtomicLong messagesReceived = new AtomicLong();
  private final AtomicLong handlerErrors = new AtomicLong();
  /** A poll is sent and not yet answered (what the server holds while nothing happens). */
  private volatile boolean pollOutstanding;

  // Everything below is guarded by lock.
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, LocalOrder> orders = new LinkedHashMap<>();
  /** pos.db's paid orders not yet pushed to the main server: uid → {"id":uid,"data":export}. */
  private final Map<String, JsonObject> paidOrders = new LinkedHashMap<>();
  private final ArrayDeque<QueuedSend> queue = new ArrayDeque<>();
  /** Zero-delay timers set by the running task (see {@link #soon}); guarded by the lock. */
  private final ArrayDeque<Runnable> soon = new ArrayDeque<>();
  private final List<Long> notificationIds = new ArrayList<>();
  private final List<Long> messageIds = new ArrayList<>();
  private final List<CompletableFuture<Void>> idleWaiters = new ArrayList<>();
  private boolean queueBusy;
  private int debouncesPending;
  /** The POS's {@code message_ID}; null stands for JavaScript's undefined/NaN. */
  private Long messageId = 0L;
  private long lastNotificationId;
  /** {@code pos_session.sequence_number}: the next local order number. */
  private long sessionSequence;
  /** {@code pos_session.order_ID}: kept for fidelity; never sent. */
  private long sessionOrderId;
  /** Odoo's page-wide {@code orderline_id}. */
  private long nextLineId = 1;
  private boolean clientOnline = true;
  /** The sync bus exists and its connection events are bound (after loading). */
  private boolean busStarted;
  /** {@code longpolling_connection.is_online}. */
  private boolean busOnline;
  /** {@code on_syncing}: a sync_all (with its paid-order removals) is under way. */
  private boolean syncing;
  /** {@code ms_syncing_in_progress}: applying server data; local changes are not sent. */
  private boolean applyingServerData;
  /** {@code response_status}: a pos.longpolling message arrived since the last PING. */
  private boolean pongSeen;
  private ScheduledFuture<?> offlineTimer;
  private ScheduledFuture<?> connectionTimer;
  private boolean started;
  private boolean isLoaded;
  private boolean closed;
  private long lastActivityMillis = System.currentTimeMillis();
  private Throwable lastHandlerError;

  VirtualTerminal(TerminalRuntime runtime, TerminalConfig config) {
    this.config = config;
    this.timing = config.timing();
    this.timers = runtime.timers();
    this.workers = runtime.workers();
    this.link = new TerminalLink(runtime.http(), runtime.timers(), config.syncServer());
    // pos_longpolling adds its channel first, pos_multi_session then (§1); pos id as a string.
    channels.add(channel(LONGPOLLING));
    channels.add(channel(MULTI_SESSION));
    JsonObject user = new JsonObject();
    user.addProperty("id", config.userId());
    user.addProperty("name", config.userName());
    JsonObject pos = new JsonObject();
    pos.addProperty("id", config.posId());
    pos.addProperty("name", config.posName());
    myInfo = new JsonObject();
    myInfo.add("user", user);
    myInfo.add("pos", pos);
  }

  // --- public API: life cycle --------------------------------------------------------------

  /**
   * Loads the terminal: the immediate {@code sync_all}, retried until it succeeds, then the bus.
   * The future completes once loaded (the POS's "Sync Orders" step is over).
   */
  public CompletableFuture<Void> start() {
    locked(() -> {
      if (started || closed) {
        return;
      }
      started = true;
      sessionSequence = config.firstSequenceNumber();
      loadStep();
    });
    return loaded;
  }

  /** Stops polling and timers; requests in flight are abandoned. */
  @Override
  public void close() {
    List<CompletableFuture<Void>> waiters;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      cancel(offlineTimer);
      cancel(connectionTimer);
      offlineTimer = null;
      connectionTimer = null;
      waiters = new ArrayList<>(idleWaiters);
      idleWaiters.clear();
    } finally {
      lock.unlock();
    }
    link.abortAll();
    loaded.completeExceptionally(new CancellationException("terminal closed"));
    waiters.forEach(w -> w.completeExceptionally(new CancellationException("terminal closed")));
  }

  // --- public API: what a cashier does -----------------------------------------------------

  /**
   * Opens a new, empty order and returns its uid. Like in the POS it is sent only once it has
   * content (§5.13).
   */
  public String newOrder() {
    String[] uid = new String[1];
    locked(() -> {
      requireLoaded();
      touch();
      long seq = sessionSequence++;
      uid[0] = config.uidPrefix() + "-" + pad4(seq);
      if (orders.containsKey(uid[0])) {
        throw new IllegalStateException("order " + uid[0] + " exists already");
      }
      JsonObject info = new JsonObject();
      info.add("created", myInfo.deepCopy());
      orders.put(uid[0], new LocalOrder(uid[0], seq, config.runId(), config.sessionId(),
          CREATION_DATE.format(Instant.now()), info));
    });
    return uid[0];
  }

  /**
   * Changes one order; everything done inside {@code changes} goes out as one update, like
   * several clicks within one browser task.
   *
   * @throws NoSuchElementException if the terminal has no such order
   */
  public void edit(String uid, Consumer<OrderEditor> changes) {
    locked(() -> {
      requireLoaded();
      touch();
      changes.accept(new Editor(requireOrder(uid)));
    });
  }

  /** Adds one unit of a product to an order; returns the uid of the line that changed. */
  public String addProduct(String uid, long productId, double price) {
    String[] line = new String[1];
    edit(uid, e -> line[0] = e.addProduct(productId, price));
    return line[0];
  }

  /** Deletes an order (the "delete order" button). */
  public void removeOrder(String uid) {
    locked(() -> {
      requireLoaded();
      touch();
      destroy(requireOrder(uid));
    });
  }

  /**
   * Pays an order: it is finalized and leaves the screen. If the network is cut, Odoo cannot push
   * it to the main server, so it stays in pos.db's paid list and is announced with
   * {@code order_data} at the next {@code request_sync_all} (§5.12).
   */
  public void payOrder(String uid) {
    locked(() -> {
      requireLoaded();
      touch();
      LocalOrder o = requireOrder(uid);
      o.finalized = true;
      if (link.isCut()) {
        JsonObject entry = new JsonObject();
        entry.addProperty("id", o.uid);
        entry.add("data", o.export(config.userId()));
        paidOrders.put(o.uid, entry);
      }
      destroy(o);
    });
  }

  // --- public API: the network -------------------------------------------------------------

  /** Cuts the network: every request fails client-side, answers in flight are lost. */
  public void goOffline() {
    link.cut();
  }

  /** Restores the network; the terminal notices at its next poll retry or offline timer. */
  public void goOnline() {
    link.restore();
  }

  public boolean isNetworkCut() {
    return link.isCut();
  }

  /** Delays answers on their way back to this terminal. */
  public void setLatency(Latency latency) {
    link.latency(latency);
  }

  // --- public API: observation -------------------------------------------------------------

  public TerminalConfig config() {
    return config;
  }

  /** Whether the loading sync_all has succeeded. */
  public boolean isLoaded() {
    return read(() -> isLoaded);
  }

  /** {@code client_online}: the last update-route request got an answer. */
  public boolean isClientOnline() {
    return read(() -> clientOnline);
  }

  /** The sync bus's connection status (the POS's status icon). */
  public boolean isBusOnline() {
    return read(() -> busOnline);
  }

  /**
   * Loaded, online on both routes, its first online {@code sync_all} processed, and nothing to
   * send. Until then a cashier's order can be lost the way it is on a real POS: that sync_all
   * goes out when the bus first reports online, just after loading, and its answer comes through
   * the bus, possibly after the answer to a newer update. Its list, taken before the order
   * existed, then makes {@code destroy_removed_orders} delete the order the server has just
   * confirmed, and the removal goes to every terminal. Scenarios that create orders right after
   * {@link #start()} wait for this first.
   */
  public boolean isSettled() {
    return read(() -> isLoaded && busOnline && clientOnline && syncAllsReceived.get() >= 2
        && idle());
  }

  /** The terminal's current {@code message_ID}, or null if it became undefined. */
  public Long messageId() {
    return read(() -> messageId);
  }

  /** The highest notification id seen ({@code last} of the next poll). */
  public long lastNotificationId() {
    return read(() -> lastNotificationId);
  }

  /** One order, if the terminal has it. */
  public Optional<OrderView> order(String uid) {
    return read(() -> Optional.ofNullable(orders.get(uid)).map(LocalOrder::view));
  }

  /** All orders, uid → snapshot, in the terminal's order. */
  public Map<String, OrderView> orders() {
    return read(() -> {
      Map<String, OrderView> out = new LinkedHashMap<>();
      orders.forEach((uid, o) -> out.put(uid, o.view()));
      return Collections.unmodifiableMap(out);
    });
  }

  /** Uids of paid orders still waiting to be pushed (paid while the network was cut). */
  public List<String> paidOrdersPending() {
    return read(() -> List.copyOf(paidOrders.keySet()));
  }

  /** Ids of all notifications received, in arrival order (needs {@code keepHistory}). */
  public List<Long> receivedNotificationIds() {
    return read(() -> List.copyOf(notificationIds));
  }

  /**
   * The {@code message_ID} of every multi-session message processed, in order: bus messages
   * (own echoes included) and inline sync_all answers (needs {@code keepHistory}). A null entry is
   * a message without one.
   */
  public List<Long> receivedMessageIds() {
    return read(() -> Collections.unmodifiableList(new ArrayList<>(messageIds)));
  }

  public TerminalStats stats() {
    return new TerminalStats(conflictPopups.get(), revisionErrors.get(), offlinePopups.get(),
        syncAllsSent.get(), syncAllsReceived.get(), gapsDetected.get(), echoesIgnored.get(),
        updatesSent.get(), removesSent.get(), requestsFailed.get(), pollsAnswered.get(),
        messagesReceived.get(), handlerErrors.get());
  }

  /** The last exception raised while handling an answer or a message, if any. */
  public Optional<Throwable> lastHandlerError() {
    return read(() -> Optional.ofNullable(lastHandlerError));
  }

  /**
   * Whether a poll is out and unanswered: the terminal is waiting on the bus, as a POS does
   * nearly all the time. False between an answer and the next poll, and while retrying after a
   * failed poll.
   */
  public boolean isPollOutstanding() {
    return pollOutstanding;
  }

  /** Update and remove requests queued or in flight. */
  public int outstandingRequests() {
    return read(() -> queue.size() + (queueBusy ? 1 : 0));
  }

  /**
   * Loaded, with nothing to send: no update or removal queued, in flight or waiting for its
   * debounce, and no sync_all under way.
   */
  public boolean isIdle() {
    return read(this::idle);
  }

  /** Completes when the terminal is next {@link #isIdle() idle} (at once if it is). */
  public CompletableFuture<Void> whenIdle() {
    return read(() -> {
      if (idle()) {
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> f = new CompletableFuture<>();
      idleWaiters.add(f);
      return f;
    });
  }

  public void addListener(TerminalListener listener) {
    listeners.add(listener);
  }

  public void removeListener(TerminalListener listener) {
    listeners.remove(listener);
  }

  /** Completes with the next multi-session message from the bus that matches. */
  public CompletableFuture<ReceivedMessage> nextMessage(Predicate<ReceivedMessage> matching) {
    CompletableFuture<ReceivedMessage> f = new CompletableFuture<>();
    TerminalListener once = new TerminalListener() {
      @Override
      public void onMessage(VirtualTerminal terminal, ReceivedMessage message) {
        if (!f.isDone() && matching.test(message)) {
          f.complete(message);
        }
      }
    };
    listeners.add(once);
    f.whenComplete((m, e) -> listeners.remove(once));
    return f;
  }

  @Override
  public String toString() {
    return "VirtualTerminal[" + config.dbname() + "/pos " + config.posId() + "/session "
        + config.sessionId() + "]";
  }

  // --- loading and the bus (§5.13, §3.2, §3.3) ----------------------------------------------

  private void loadStep() {
    if (closed) {
      return;
    }
    CompletableFuture<Boolean> sent = requestSyncAll(null, true);
    if (sent == null) {
      later(timing.loadRetry(), this::loadStep);
      return;
    }
    sent.thenAccept(ok -> locked(() -> {
      if (closed) {
        return;
      }
      if (ok) {
        onLoaded();
      } else {
        later(timing.loadRetry(), this::loadStep);
      }
    }));
  }

  private void onLoaded() {
    isLoaded = true;
    workers.execute(() -> loaded.complete(null));
    // pos.ready: the sync bus starts (poll + PING) and its connection events get bound.
    busStarted = true;
    poll();
    sendPing();
  }

  private void poll() {
    if (closed || !busStarted) {
      return;
    }
    JsonObject params = new JsonObject();
    params.add("channels", channels);
    params.addProperty("last", lastNotificationId);
    JsonObject options = new JsonObject();
    options.addProperty("bus_inactivity", System.currentTimeMillis() - lastActivityMillis);
    params.add("options", options);
    pollOutstanding = true;
    link.call(POLL_PATH, TerminalLink.Route.POLL, params, timing.pollTimeout())
        .whenCompleteAsync(this::onPollAnswer, workers);
  }

  private void onPollAnswer(JsonElement result, Throwable error) {
    pollOutstanding = false;
    if (error != null) {
      RpcFailure failure = RpcFailure.of(error);
      locked(() -> {
        if (closed) {
          return;
        }
        networkIsOff();
        // Odoo's bus re-polls at once only after an abort; otherwise after 11–30 s (§2.5).
        if (failure.type == RpcFailure.Type.ABORT) {
          poll();
        } else {
          later(timing.pollErrorDelay(), this::poll);
        }
      });
      return;
    }
    long arrival = System.nanoTime();
    List<Incoming> batch = new ArrayList<>();
    Throwable parseError = null;
    try {
      for (JsonElement n : result.getAsJsonArray()) {
        batch.add(Incoming.of(n.getAsJsonObject()));
      }
    } catch (RuntimeException e) {
      parseError = e;
    }
    for (Incoming n : batch) {
      if (n.isMultiSession() && n.message.isJsonObject()) {
        notifyListeners(n.received(arrival));
      }
    }
    Throwable unreadable = parseError;
    locked(() -> {
      if (closed) {
        return;
      }
      if (unreadable != null) {
        handlerError(unreadable);
      }
      pollsAnswered.incrementAndGet();
      for (Incoming n : batch) {
        if (n.id > lastNotificationId) {
          lastNotificationId = n.id;
        }
        if (config.keepHistory()) {
          notificationIds.add(n.id);
        }
      }
      for (Incoming n : batch) {
        guarded(() -> dispatch(n));
      }
      // LongpollingBus: handle the batch, poll again, then report the connection online.
      poll();
      networkIsOn(false);
    });
  }

  /** PosConnection.on_notification_do: routes by the channel name only (§3.2). */
  private void dispatch(Incoming n) {
    if (n.isMultiSession()) {
      if (!n.message.isJsonObject()) {
        throw new IllegalStateException("multi-session message is not an object: " + n.message);
      }
      updatesFromServerCallback(n.message.getAsJsonObject());
    } else if (LONGPOLLING.equals(n.channelName)) {
      networkIsOn(true);
    }
  }

  private void sendPing() {
    if (closed) {
      return;
    }
    pongSeen = false;
    JsonObject params = new JsonObject();
    params.addProperty("message", "PING");
    params.addProperty("pos_id", config.posId());
    params.addProperty("db_name", config.dbname()); // with an underscore (§3.3)
    link.call(PING_PATH, TerminalLink.Route.UPDATE, params, timing.pingTimeout())
        .whenCompleteAsync((r, e) -> locked(() -> {
          if (closed) {
            return;
          }
          if (e == null) {
            setBusOnline(true);
            if (!pongSeen) {
              armConnectionTimer(timing.pongTimeout(), this::networkIsOff);
            }
          } else {
            networkIsOff();
          }
        }), workers);
  }

  /** LongpollingModel.network_is_on: re-arms the silence timer, reports online. */
  private void networkIsOn(boolean longpollingMessage) {
    if (longpollingMessage) {
      pongSeen = true;
    }
    armConnectionTimer(timing.maxSilence(), this::sendPing);
    setBusOnline(true);
  }

  private void networkIsOff() {
    armConnectionTimer(timing.maxSilence(), this::sendPing);
    setBusOnline(false);
  }

  /** The status change handler of pos_multi_session (bind_ms_connection_events). */
  private void setBusOnline(boolean online) {
    if (busOnline == online) {
      return;
    }
    busOnline = online;
    if (!busStarted) {
      return;
    }
    if (online) {
      stopOfflineTimer();
      requestSyncAll(null, false); // back online: full resync (§5.13)
    } else if (offlineTimer == null) {
      offlinePopups.incrementAndGet();
      startOfflineTimer();
    }
  }

  private void armConnectionTimer(Duration delay, Runnable task) {
    cancel(connectionTimer);
    connectionTimer = later(delay, task);
  }

  private void startOfflineTimer() {
    long period = timing.offlineSyncPeriod().toMillis();
    try {
      offlineTimer = timers.scheduleAtFixedRate(() -> execute(() -> {
        if (!closed) {
          requestSyncAll(null, false);
        }
      }), period, period, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException runtimeClosed) {
      offlineTimer = null;
    }
  }

  private void stopOfflineTimer() {
    cancel(offlineTimer);
    offlineTimer = null;
  }

  // --- sending (§3.1, §5.1, §2.5) -----------------------------------------------------------

  /**
   * request_sync_all: dropped while one is under way; paid-offline orders are announced first
   * (§5.12). Returns whether the sync_all succeeded, or null if it was dropped.
   */
  private CompletableFuture<Boolean> requestSyncAll(String uid, boolean immediate) {
    if (syncing) {
      return null;
    }
    syncing = true;
    if (paidOrders.isEmpty()) {
      return syncAll(uid, immediate);
    }
    List<CompletableFuture<Boolean>> removals = new ArrayList<>();
    for (JsonObject entry : paidOrders.values()) {
      removals.add(enqueue(() -> sendPaidRemoval(entry)));
    }
    if (!link.isCut()) {
      paidOrders.clear(); // push_order: the main server took them
    }
    // The POS sends sync_all once push_order is done; waiting for the removals is the
    // deterministic stand-in, and keeps the paid orders out of the sync_all answer.
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new))
        .whenComplete((v, e) -> locked(() -> {
          if (closed) {
            syncing = false;
            result.complete(false);
            return;
          }
          syncAll(uid, immediate).thenAccept(result::complete);
        }));
    return result;
  }

  private CompletableFuture<Boolean> syncAll(String uid, boolean immediate) {
    JsonObject data = new JsonObject();
    data.addProperty("run_ID", config.runId());
    JsonObject message = new JsonObject();
    message.addProperty("action", "sync_all");
    message.add("data", data);
    if (uid != null) {
      message.addProperty("uid", uid); // top-level keys, not in data (§5.6)
    }
    if (immediate) {
      message.addProperty("immediate_rerendering", true);
    }
    syncAllsSent.incrementAndGet();
    return send(message, null, () -> syncing = false);
  }

  private CompletableFuture<Boolean> sendUpdate(LocalOrder o) {
    o.enqueued = false;
    JsonObject message = new JsonObject();
    message.addProperty("action", "update_order");
    message.add("data", o.export(config.userId()));
    updatesSent.incrementAndGet();
    return send(message, result -> {
      // Any answer, revision_error included, confirms the order and its lines (§5.5).
      o.onServer = true;
      o.confirmLines();
    }, null);
  }

  private CompletableFuture<Boolean> sendRemoval(LocalOrder o) {
    o.enqueued = false;
    JsonObject data = new JsonObject();
    data.addProperty("uid", o.uid);
    data.addProperty("revision_ID", o.revision);
    data.addProperty("finalized", o.finalized);
    data.addProperty("run_ID", config.runId());
    return sendRemove(data);
  }

  private CompletableFuture<Boolean> sendPaidRemoval(JsonObject entry) {
    JsonObject paid = entry.getAsJsonObject("data");
    JsonObject data = new JsonObject();
    data.add("uid", paid.get("uid"));
    data.add("revision_ID", paid.get("revision_ID"));
    data.addProperty("finalized", true);
    data.addProperty("order_data", entry.toString()); // a JSON string, not an object (§5.7)
    data.addProperty("run_ID", config.runId());
    return sendRemove(data);
  }

  private CompletableFuture<Boolean> sendRemove(JsonObject data) {
    JsonObject message = new JsonObject();
    message.addProperty("action", "remove_order");
    message.add("data", data);
    removesSent.incrementAndGet();
    return send(message, null, null);
  }

  /**
   * MultiSession.send: stamps pos_id, a fresh nonce, session_id and login_number, posts, then runs
   * the shared answer handling, {@code onDone} (success only) and {@code always}. Completes with
   * whether the request succeeded, after all of them ran.
   */
  private CompletableFuture<Boolean> send(JsonObject message, Consumer<JsonElement> onDone,
      Runnable always) {
    JsonObject data = message.getAsJsonObject("data");
    String nonce = nonce();
    data.addProperty("pos_id", config.posId());
    data.addProperty("nonce", nonce);
    message.addProperty("session_id", config.sessionId());
    message.addProperty("login_number", config.loginNumber());
    JsonObject params = new JsonObject();
    params.addProperty("multi_session_id", config.multiSessionId());
    params.add("message", message);
    params.addProperty("dbname", config.dbname());
    params.addProperty("user_ID", config.userId());
    String action = message.get("action").getAsString();
    String uid = str(data.get("uid"));
    long now = System.nanoTime();
    for (TerminalListener l : listeners) {
      try {
        l.onRequestSent(this, action, uid, nonce, now);
      } catch (RuntimeException e) {
        handlerError(e);
      }
    }
    CompletableFuture<Boolean> finished = new CompletableFuture<>();
    link.call(UPDATE_PATH, TerminalLink.Route.UPDATE, params, timing.updateTimeout())
        .whenCompleteAsync((result, error) -> {
          boolean ok = error == null;
          long answered = System.nanoTime();
          for (TerminalListener l : listeners) {
            try {
              l.onAnswer(this, action, uid, nonce, ok, answered);
            } catch (RuntimeException e) {
              handlerError(e);
            }
          }
          try {
            locked(() -> {
              if (!closed) {
                if (ok) {
                  guarded(() -> onSendDone(result));
                  if (onDone != null) {
                    guarded(() -> onDone.accept(result));
                  }
                } else {
                  guarded(() -> onSendFailed(RpcFailure.of(error)));
                }
              }
              if (always != null) {
                guarded(always);
              }
              // As on the POS, the queue's next request is built in this same task: jQuery 1.11
              // runs deferred callbacks at once, so MultiSession.enque exports the next order
              // before any poll answer can be handled in between.
              finished.complete(ok);
            });
          } finally {
            finished.complete(ok);
          }
        }, workers);
    return finished;
  }

  /** The done handler of MultiSession.send (§5.5, §2.5). */
  private void onSendDone(JsonElement result) {
    clientOnline = true;
    JsonObject res = result.isJsonObject() ? result.getAsJsonObject() : null;
    String action = res == null ? null : str(res.get("action"));
    if ("revision_error".equals(action)) {
      revisionErrors.incrementAndGet();
      String uid = str(res.get("order_uid"));
      if ("deleted".equals(str(res.get("state")))) {
        LocalOrder o = uid == null ? null : orders.get(uid);
        if (o != null) {
          destroy(o);
        }
      } else {
        // "There is a conflict during synchronization": the server's version wins.
        conflictPopups.incrementAndGet();
        requestSyncAll(uid, false);
      }
    }
    if ("sync_all".equals(action)) {
      updatesFromServer(res);
    }
    stopOfflineTimer();
    if (busStarted) {
      networkIsOn(false);
    }
    if ("update_revision_ID".equals(action) && truthy(res.get("uid"))) {
      LocalOrder o = orders.get(str(res.get("uid")));
      if (o != null) {
        updateRevisionId(o, res);
      }
    }
  }

  /** The fail handler of MultiSession.send (§2.5). */
  private void onSendFailed(RpcFailure failure) {
    requestsFailed.incrementAndGet();
    if (failure.withoutData) {
      // The POS reads error.data.type and crashes here: the server must never answer so.
      throw new IllegalStateException("JSON-RPC error without data: " + failure.getMessage());
    }
    if (failure.offlineBranch()) {
      clientOnline = false;
      if (busStarted) {
        networkIsOff();
      }
      if (offlineTimer == null) {
        offlinePopups.incrementAndGet();
        startOfflineTimer();
      }
    } else {
      requestSyncAll(null, false);
    }
  }

  /** Order.update_revision_id: adopt the server's number and revision (§5.5). */
  private void updateRevisionId(LocalOrder o, JsonObject res) {
    Long orderId = longOrNull(res.get("order_ID"));
    if (orderId != null && orderId != 0
        && (o.sequenceNumber != orderId || sessionSequence == orderId)) {
      o.sequenceNumber = orderId;
      sessionOrderId = orderId;
      sessionSequence = Math.max(sessionSequence, orderId + 1);
    }
    Long revision = longOrNull(res.get("revision_ID"));
    if (revision != null && revision > o.revision) {
      o.revision = revision;
    }
  }

  // --- the queue (MultiSession.enque, §3.1) ------------------------------------------------

  private record QueuedSend(Supplier<CompletableFuture<Boolean>> job,
      CompletableFuture<Boolean> done) {}

  private CompletableFuture<Boolean> enqueue(Supplier<CompletableFuture<Boolean>> job) {
    QueuedSend q = new QueuedSend(job, new CompletableFuture<>());
    queue.add(q);
    runQueue();
    return q.done;
  }

  private void runQueue() {
    if (queueBusy || closed) {
      return;
    }
    QueuedSend q = queue.poll();
    if (q == null) {
      return;
    }
    queueBusy = true;
    CompletableFuture<Boolean> sent;
    try {
      sent = q.job.get(); // built now, from the state left by the previous answer
    } catch (RuntimeException e) {
      handlerError(e);
      sent = CompletableFuture.completedFuture(false);
    }
    sent.whenComplete((ok, e) -> {
      locked(() -> {
        queueBusy = false;
        runQueue();
      });
      q.done.complete(ok != null && ok);
    });
  }

  // --- order changes made here (§5.13) -----------------------------------------------------

  /** Order.new_updates_to_send: numbers a new order, then schedules a debounced update. */
  private void newUpdatesToSend(LocalOrder o) {
    if (o.newOrder) {
      o.newOrder = false;
      sessionOrderId++;
    }
    if (!msActive()) {
      return;
    }
    debounce(o, LocalOrder.Pending.UPDATE);
  }

  /** The POS's remove handler on its order collection (§5.7, §5.12). */
  private void onOrderRemoved(LocalOrder o) {
    if (!isLoaded) {
      return; // bound only once the POS is ready
    }
    if (!clientOnline && Boolean.TRUE.equals(o.onServer)) {
      offlinePopups.incrementAndGet(); // "No connection to the server."; it comes back later
      return;
    }
    if (msActive()) {
      debounce(o, LocalOrder.Pending.REMOVE);
    }
  }

  /**
   * The POS's {@code setTimeout(0)} per order: sends after the current task, and the last
   * request (update or removal) wins.
   */
  private void debounce(LocalOrder o, LocalOrder.Pending kind) {
    o.pending = kind;
    if (o.debounceScheduled) {
      return;
    }
    o.debounceScheduled = true;
    debouncesPending++;
    soon(() -> {
      o.debounceScheduled = false;
      debouncesPending--;
      LocalOrder.Pending what = o.pending;
      o.pending = LocalOrder.Pending.NONE;
      if (closed) {
        return;
      }
      if (what == LocalOrder.Pending.UPDATE) {
        if (!o.enqueued) {
          o.enqueued = true;
          enqueue(() -> sendUpdate(o));
        }
      } else if (what == LocalOrder.Pending.REMOVE) {
        if (!o.enqueued) { // shared with updates: a removal behind a queued update is dropped
          o.enqueued = true;
          enqueue(() -> sendRemoval(o));
        }
      }
    });
  }

  private boolean msActive() {
    return !applyingServerData;
  }

  private void destroy(LocalOrder o) {
    if (orders.remove(o.uid) != null) {
      onOrderRemoved(o);
    }
  }

  private final class Editor implements OrderEditor {
    private final LocalOrder order;

    Editor(LocalOrder order) {
      this.order = order;
    }

    @Override
    public String uid() {
      return order.uid;
    }

    @Override
    public String addProduct(long productId, BigDecimal price) {
      requireCurrent();
      newUpdatesToSend(order); // Odoo's add_product triggers before adding
      BigDecimal p = LocalLine.norm(price);
      LocalLine last = order.lines.isEmpty() ? null : order.lines.get(order.lines.size() - 1);
      if (last != null && last.productId == productId && last.priceUnit.compareTo(p) == 0
          && last.discount.signum() == 0) {
        last.qty = LocalLine.norm(last.qty.add(BigDecimal.ONE));
        lineChanged(order, last);
        return last.uid;
      }
      long id = nextLineId++;
      LocalLine line = new LocalLine(id, lineUid(order, id), productId, BigDecimal.ONE, p);
      JsonObject info = new JsonObject();
      if (msActive()) {
        info.add("created", myInfo.deepCopy());
      }
      line.msInfo = info;
      line.offline = true; // added after loading: offline_orderline until confirmed
      order.lines.add(line);
      return line.uid;
    }

    @Override
    public void setQuantity(String lineUid, BigDecimal qty) {
      requireCurrent();
      LocalLine line = requireLine(lineUid);
      if (qty.compareTo(line.qty) != 0) {
        line.qty = LocalLine.norm(qty);
        lineChanged(order, line);
      }
    }

    @Override
    public void removeLine(String lineUid) {
      requireCurrent();
      order.lines.remove(requireLine(lineUid));
      newUpdatesToSend(order);
    }

    @Override
    public List<OrderView.Line> lines() {
      return order.view().lines();
    }

    private LocalLine requireLine(String lineUid) {
      LocalLine line = order.line(lineUid);
      if (line == null) {
        throw new NoSuchElementException("no line " + lineUid + " in order " + order.uid);
      }
      return line;
    }

    private void requireCurrent() {
      if (!lock.isHeldByCurrentThread() || orders.get(order.uid) != order) {
        throw new IllegalStateException("edit order " + order.uid + " only inside edit()");
      }
    }
  }

  /** The Orderline "change" handler: stamps who changed it, then sends (§5.13). */
  private void lineChanged(LocalOrder o, LocalLine line) {
    if (!msActive()) {
      return;
    }
    if (line.msInfo == null || !line.msInfo.isJsonObject()) {
      line.msInfo = new JsonObject();
    }
    line.msInfo.getAsJsonObject().add("changed", myInfo.deepCopy());
    if (o.msInfo == null || !o.msInfo.isJsonObject()) {
      o.msInfo = new JsonObject();
    }
    o.msInfo.getAsJsonObject().add("changed", myInfo.deepCopy());
    newUpdatesToSend(o);
  }

  // --- server data (§5.6, §5.8, §5.10, §5.11) -----------------------------------------------

  /** updates_from_server_callback: the own-echo rule, then processing (§5.8). */
  private void updatesFromServerCallback(JsonObject message) {
    messagesReceived.incrementAndGet();
    JsonObject data = obj(message.get("data"));
    boolean sameSession = Long.valueOf(config.sessionId()).equals(attr(message, data, "session_id"));
    boolean sameLogin = Long.valueOf(config.loginNumber()).equals(attr(message, data, "login_number"));
    boolean syncAll = "sync_all".equals(str(message.get("action")));
    if (sameSession && ((sameLogin && !syncAll) || (!sameLogin && syncAll))) {
      // Sent by this device (or a sync_all for another device of this session): skipped, but
      // its message_ID keeps this POS in step.
      echoesIgnored.incrementAndGet();
      if (data == null) {
        throw new IllegalStateException("message without data: " + message);
      }
      messageId = longOrNull(data.get("message_ID"));
      recordMessageId(messageId);
      return;
    }
    updatesFromServer(message);
  }

  /** updates_from_server: a sync_all payload or one update/removal. */
  private void updatesFromServer(JsonObject message) {
    applyingServerData = true;
    try {
      String action = str(message.get("action"));
      JsonObject data = obj(message.get("data"));
      if (data == null) {
        data = new JsonObject();
      }
      if ("sync_all".equals(action)) {
        syncAllsReceived.incrementAndGet();
        messageId = longOrNull(data.get("message_ID"));
        recordMessageId(messageId);
        Set<String> serverUids = new HashSet<>();
        JsonElement list = data.get("orders");
        if (list != null && list.isJsonArray()) {
          for (JsonElement entry : list.getAsJsonArray()) {
            JsonObject od = entry.getAsJsonObject().getAsJsonObject("data");
            String uid = str(od.get("uid"));
            serverUids.add(uid);
            msUpdateOrder(uid == null ? null : orders.get(uid), od);
          }
        }
        Long orderId = longOrNull(data.get("order_ID"));
        sessionOrderId = orderId == null ? 0 : orderId;
        long floor = orderId == null ? 1 : orderId + 1;
        if (sessionSequence != 0 && sessionSequence < floor) {
          sessionSequence = floor; // offline orders were numbered lower than the server's
        }
        applyingServerData = false;
        if (!truthy(data.get("uid"))) {
          destroyRemovedOrders(serverUids);
        }
      } else {
        String uid = truthy(data.get("uid")) ? str(data.get("uid")) : null;
        LocalOrder order = uid == null ? null : orders.get(uid);
        Long incoming = longOrNull(data.get("message_ID"));
        recordMessageId(incoming);
        if (messageId != null && incoming != null && messageId + 1 == incoming) {
          messageId = incoming;
        } else {
          gapsDetected.incrementAndGet(); // missed something: full resync, still apply this
          requestSyncAll(null, false);
        }
        if (order != null && "remove_order".equals(action)) {
          destroy(order);
        } else if ("update_order".equals(action)) {
          msUpdateOrder(order, data);
        }
      }
    } finally {
      applyingServerData = false;
    }
  }

  /** ms_update_order (§5.10). */
  private void msUpdateOrder(LocalOrder o, JsonObject data) {
    if (o != null && o.finalized) {
      return;
    }
    Long seq = longOrNull(data.get("sequence_number"));
    if (seq != null) {
      sessionOrderId = seq;
    }
    if (o != null) {
      o.msInfo = copy(data.get("ms_info"));
      Long revision = longOrNull(data.get("revision_ID"));
      if (revision != null) {
        o.revision = revision; // taken as is, also if lower
      }
      mergeLines(o, data);
      return;
    }
    if (!config.acceptIncomingOrders() && !createdByMe(data)) {
      return;
    }
    LocalOrder created = fromServer(data);
    orders.put(created.uid, created);
    created.confirmLines();
  }

  private boolean createdByMe(JsonObject data) {
    JsonObject info = obj(data.get("ms_info"));
    if (info == null) {
      return true;
    }
    JsonObject created = obj(info.get("created"));
    JsonObject user = created == null ? null : obj(created.get("user"));
    if (user == null) {
      throw new IllegalStateException("ms_info.created.user missing: " + info);
    }
    return Long.valueOf(config.userId()).equals(longOrNull(user.get("id")));
  }

  /** An order built from server data, as Odoo's init_from_JSON builds it. */
  private LocalOrder fromServer(JsonObject data) {
    String uid = str(data.get("uid"));
    if (uid == null) {
      throw new IllegalStateException("order without uid: " + data);
    }
    long seq = orElse(longOrNull(data.get("sequence_number")), 0);
    LocalOrder o = new LocalOrder(uid, seq, orElse(longOrNull(data.get("run_ID")), config.runId()),
        orElse(longOrNull(data.get("pos_session_id")), 0), str(data.get("creation_date")),
        copy(data.get("ms_info")));
    o.revision = orElse(longOrNull(data.get("revision_ID")), 1);
    o.onServer = true;
    o.newOrder = truthy(data.get("new_order"));
    sessionSequence = Math.max(seq + 1, sessionSequence);
    for (JsonObject d : lineData(data)) {
      long id = orElse(longOrNull(d.get("id")), nextLineId);
      nextLineId = Math.max(nextLineId, id + 1);
      // Quirk reproduced: the line uid is recomputed from this POS's session and login.
      LocalLine line = new LocalLine(id, lineUid(o, id),
          orElse(longOrNull(d.get("product_id")), 0), BigDecimal.ONE, BigDecimal.ZERO);
      line.apply(d);
      line.msInfo = new JsonObject();
      o.lines.add(line);
    }
    return o;
  }

  /** ms_update_existing_order: the line merge (§5.11). */
  private void mergeLines(LocalOrder o, JsonObject data) {
    // A list, duplicates kept, as the client's not_found array: two local lines may share a
    // uid (an order built from data names lines by their ids, and two POS can number two lines
    // alike); _.without drops every copy, and each remaining copy removes one line.
    List<String> notFound = new ArrayList<>();
    for (LocalLine l : o.lines) {
      notFound.add(l.uid);
    }
    for (JsonObject d : lineData(data)) {
      String lineUid = String.valueOf(str(d.get("uid")));
      LocalLine line = o.line(lineUid);
      notFound.removeIf(lineUid::equals);
      if (line == null) {
        long id = nextLineId++;
        line = new LocalLine(id, lineUid, orElse(longOrNull(d.get("product_id")), 0),
            BigDecimal.ONE, BigDecimal.ZERO);
        line.apply(d);
        o.lines.add(line);
      } else if (truthy(d.get("is_changed"))) {
        line.apply(d);
      }
      line.offline = false;
    }
    for (String lineUid : notFound) {
      LocalLine line = o.line(lineUid);
      if (line != null && !line.offline) {
        o.lines.remove(line);
      }
    }
    o.onServer = true;
    o.newOrder = false;
    if (o.lines.stream().anyMatch(l -> l.offline)) {
      // Lines added here while the server did not know them: send the order again.
      applyingServerData = false;
      newUpdatesToSend(o);
    }
  }

  /** destroy_removed_orders: the server is authoritative after a full sync (§5.6). */
  private void destroyRemovedOrders(Set<String> serverUids) {
    for (LocalOrder o : new ArrayList<>(orders.values())) {
      if (Boolean.TRUE.equals(o.onServer) && !serverUids.contains(o.uid)) {
        destroy(o);
      }
    }
    // send_draft_offline_orders
    for (LocalOrder o : new ArrayList<>(orders.values())) {
      if (!Boolean.TRUE.equals(o.onServer) && !o.lines.isEmpty()) {
        newUpdatesToSend(o);
      }
    }
  }

  // --- plumbing ----------------------------------------------------------------------------

  /** Runs {@code action} as one task of this terminal, then wakes idle waiters if now idle. */
  private void locked(Runnable action) {
    List<CompletableFuture<Void>> ready = null;
    lock.lock();
    try {
      action.run();
      if (lock.getHoldCount() == 1) {
        for (Runnable next = soon.poll(); next != null; next = soon.poll()) {
          guarded(next);
        }
      }
      if (lock.getHoldCount() == 1 && !idleWaiters.isEmpty() && idle()) {
        ready = new ArrayList<>(idleWaiters);
        idleWaiters.clear();
      }
    } finally {
      lock.unlock();
    }
    if (ready != null) {
      ready.forEach(f -> f.complete(null));
    }
  }

  private <T> T read(Supplier<T> reader) {
    lock.lock();
    try {
      return reader.get();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A {@code setTimeout(fn, 0)}: runs {@code task} right after the current task of this
   * terminal, before any answer that arrives meanwhile is handled. A browser fires such a timer
   * within a few milliseconds, before the answers of later requests; on a thread pool it could
   * wait behind them, which would widen the POS's own race (an answer marks lines as known to
   * the server before their update was sent) far beyond what a browser shows.
   */
  private void soon(Runnable task) {
    soon.add(task);
  }

  /** Runs a task later on a worker, as a task of this terminal (a JavaScript setTimeout). */
  private void execute(Runnable task) {
    try {
      workers.execute(() -> locked(() -> guarded(task)));
    } catch (RejectedExecutionException runtimeClosed) {
      // the runtime is gone; so is this terminal
    }
  }

  private ScheduledFuture<?> later(Duration delay, Runnable task) {
    try {
      return timers.schedule(() -> execute(() -> {
        if (!closed) {
          task.run();
        }
      }), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException runtimeClosed) {
      return null;
    }
  }

  private static void cancel(ScheduledFuture<?> f) {
    if (f != null) {
      f.cancel(false);
    }
  }

  /** A handler failure is counted and the terminal goes on, as the POS's event loop does. */
  private void guarded(Runnable handler) {
    try {
      handler.run();
    } catch (RuntimeException e) {
      handlerError(e);
    }
  }

  private void handlerError(Throwable e) {
    handlerErrors.incrementAndGet();
    lock.lock();
    try {
      lastHandlerError = e;
    } finally {
      lock.unlock();
    }
  }

  private void notifyListeners(ReceivedMessage m) {
    for (TerminalListener l : listeners) {
      try {
        l.onMessage(this, m);
      } catch (RuntimeException e) {
        handlerError(e);
      }
    }
  }

  private boolean idle() {
    return isLoaded && !closed && queue.isEmpty() && !queueBusy && debouncesPending == 0
        && !syncing;
  }

  private void requireLoaded() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
    if (!isLoaded) {
      throw new IllegalStateException(this + " is still loading");
    }
  }

  private LocalOrder requireOrder(String uid) {
    LocalOrder o = orders.get(uid);
    if (o == null) {
      throw new NoSuchElementException(this + " has no order " + uid);
    }
    return o;
  }

  private void touch() {
    lastActivityMillis = System.currentTimeMillis();
  }

  private void recordMessageId(Long id) {
    if (config.keepHistory()) {
      messageIds.add(id);
    }
  }

  private String channel(String name) {
    JsonArray a = new JsonArray();
    a.add(config.dbname());
    a.add(name);
    a.add(Long.toString(config.posId()));
    return a.toString();
  }

  /** Line uid: {@code generate_unique_id()} of the order (its current number) and the line id. */
  private String lineUid(LocalOrder o, long lineId) {
    return config.uidPrefix() + "-" + pad4(o.sequenceNumber) + "-" + lineId;
  }

  private static String pad4(long n) {
    return String.format("%04d", n);
  }

  /** About as much entropy as {@code (Math.random()+1).toString(36).substring(7)} (§5.9). */
  private static String nonce() {
    return Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36,
        36L * 36 * 36 * 36 * 36 * 36), 36);
  }

  /** get_attr: the top-level value if truthy, else the one in data (§5.8). */
  private static Long attr(JsonObject message, JsonObject data, String key) {
    JsonElement top = message.get(key);
    if (truthy(top)) {
      return longOrNull(top);
    }
    return data == null ? null : longOrNull(data.get(key));
  }

  private static List<JsonObject> lineData(JsonObject data) {
    List<JsonObject> out = new ArrayList<>();
    JsonElement lines = data.get("lines");
    if (lines == null || !lines.isJsonArray()) {
      return out;
    }
    for (JsonElement entry : lines.getAsJsonArray()) {
      out.add(entry.getAsJsonArray().get(2).getAsJsonObject()); // [0, 0, {…}]
    }
    return out;
  }

  private static JsonObject obj(JsonElement e) {
    return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
  }

  private static String str(JsonElement e) {
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()
        ? e.getAsString() : null;
  }

  private static Long longOrNull(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return null;
    }
    String text = e.getAsString();
    if (isPlainInteger(text)) {
      return Long.parseLong(text); // the common case, without a BigDecimal
    }
    BigDecimal d = e.getAsBigDecimal();
    return d.stripTrailingZeros().scale() <= 0 ? d.longValue() : null;
  }

  /** Up to 18 digits, optionally negative: always a long, read the same as through BigDecimal. */
  private static boolean isPlainInteger(String text) {
    int start = text.startsWith("-") ? 1 : 0;
    int n = text.length();
    if (n == start || n - start > 18) {
      return false;
    }
    for (int i = start; i < n; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static long orElse(Long v, long fallback) {
    return v == null ? fallback : v;
  }

  private static JsonElement copy(JsonElement e) {
    return e == null || e.isJsonNull() ? null : e.deepCopy();
  }

  /** JavaScript truthiness of a JSON value. */
  private static boolean truthy(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return false;
    }
    if (!e.isJsonPrimitive()) {
      return true;
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return p.getAsBoolean();
    }
    if (p.isNumber()) {
      return p.getAsBigDecimal().signum() != 0;
    }
    return !p.getAsString().isEmpty();
  }

  /** One notification of a poll answer, its channel parsed as the client parses it. */
  private record Incoming(long id, String channelName, JsonElement message) {
    /** Channel string → its name ("" for none): a terminal sees the same two all the time. */
    private static final Map<String, String> CHANNEL_NAMES = new ConcurrentHashMap<>();

    static Incoming of(JsonObject n) {
      JsonElement channel = n.get("channel");
      String name;
      if (channel != null && channel.isJsonPrimitive() && channel.getAsJsonPrimitive().isString()) {
        String text = channel.getAsString();
        name = CHANNEL_NAMES.get(text);
        if (name == null) {
          name = channelName(parseChannel(channel));
          if (CHANNEL_NAMES.size() > 100_000) {
            CHANNEL_NAMES.clear(); // bounded: many runs with fresh dbnames in one JVM
          }
          CHANNEL_NAMES.put(text, name);
        }
      } else {
        name = channelName(channel);
      }
      JsonElement message = n.get("message");
      return new Incoming(n.get("id").getAsLong(), name.isEmpty() ? null : name,
          message == null ? com.google.gson.JsonNull.INSTANCE : message);
    }

    private static JsonElement parseChannel(JsonElement channel) {
      try {
        return JsonParser.parseString(channel.getAsString());
      } catch (RuntimeException notJson) {
        return channel; // kept as is, like the POS does
      }
    }

    /** {@code channel[1]} if the parsed channel is an array with a string there, else "". */
    private static String channelName(JsonElement parsed) {
      if (parsed != null && parsed.isJsonArray() && parsed.getAsJsonArray().size() > 1) {
        String name = str(parsed.getAsJsonArray().get(1));
        return name == null ? "" : name;
      }
      return "";
    }

    boolean isMultiSession() {
      return MULTI_SESSION.equals(channelName);
    }

    ReceivedMessage received(long arrivalNanos) {
      JsonObject m = message.getAsJsonObject();
      JsonObject data = obj(m.get("data"));
      return new ReceivedMessage(id, str(m.get("action")),
          data == null ? null : str(data.get("uid")),
          data == null ? null : longOrNull(data.get("message_ID")),
          data == null ? null : str(data.get("nonce")), m, arrivalNanos);
    }
  }
}
