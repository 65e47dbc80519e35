package io.possync.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.possync.http.PosSyncServer;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionStatus;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import io.possync.testing.TestNode;
import io.possync.wire.Channel;
import io.possync.wire.Notification;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fifteen terminals in four multi-sessions hammer one server at once over real HTTP: each creates
 * and edits its own orders and fights over a few shared orders, recovering from revision conflicts
 * the way a POS does (sync_all for that uid, then retry with the revision the bus brought). Every
 * terminal long-polls its channel all along. Afterwards the streams and the final state must be
 * exactly what the protocol promises (docs/protocol.md §5.5–5.8, §6 items 17–19, D1, D3).
 * {@link ConcurrencyOnClusterTest} plays the same on a cluster.
 */
class ConcurrencyTest {
  private static final int OWN_ORDERS = 8;
  private static final int EDITS_PER_OWN_ORDER = 3;
  private static final int SHARED_ORDERS = 2;
  private static final int CONTESTED_EDITS = 8;

  /** Every node; each request goes to one of them picked at random. */
  private List<TestNode> nodes;
  /** The cluster, or null on one node. */
  private TestCluster cluster;
  private HttpClient http;
  private final List<Pos> terminals = new ArrayList<>();
  private final Map<MultiSessionKey, Ledger> ledgers = new LinkedHashMap<>();

  /** Overridden by the variant that plays on a cluster. */
  Shop.Topology topology() {
    return Shop.Topology.ONE_NODE;
  }

  /** How long the rush may take (a cluster's decisions are slower: taken again when stale). */
  Duration rushBound() {
    return Duration.ofSeconds(20);
  }

  @BeforeEach
  void start() throws Exception {
    // Idle polls come back within 1 s. The original's conflict policy: this test counts the
    // conflicts and resyncs of every terminal (RandomEditsConvergeTest merges).
    Map<String, String> settings = Map.of("poll.timeout", "1", "sync.conflicts", "reject");
    if (topology() == Shop.Topology.CLUSTER) {
      cluster = TestCluster.start(Shop.CLUSTER_NODES, settings);
      nodes = cluster.nodes();
    } else {
      nodes = List.of(TestNode.start(settings));
    }
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      stopPollers();
    } finally {
      if (cluster != null) {
        cluster.close();
      } else {
        nodes.get(0).close();
      }
    }
  }

  /** A node picked at random, as a load balancer without stickiness would. */
  private TestNode anyNode() {
    return nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
  }

  /** Tells every loop to stop first, so that their last held polls run out together. */
  private void stopPollers() throws InterruptedException {
    terminals.forEach(t -> t.poller.running = false);
    for (Pos t : terminals) {
      t.poller.stop();
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void manyTerminalsEditingAtOnceKeepEveryStreamAndCounterExact() throws Exception {
    // A busy multi-session with six terminals, two quiet ones, and one in another database that
    // uses the same multi_session_id, pos ids and order uids as the busy one (D1).
    addMultiSession("shop", 1, new int[] {1, 2, 3, 4, 5, 6});
    addMultiSession("shop", 2, new int[] {7, 8, 9});
    addMultiSession("shop", 3, new int[] {10, 11, 12});
    addMultiSession("other", 1, new int[] {1, 2, 3});

    for (Pos t : terminals) {
      JsonObject data = t.syncAll(true, null).getAsJsonObject("data");
      t.registeredAt = data.get("message_ID").getAsLong();
      assertThat(t.registeredAt).isEqualTo(2); // a new POS starts at 1, its sync_all counts
      t.poller.start();
    }
    // Terminal 0 of each multi-session opens the shared orders before the rush.
    for (Ledger ledger : ledgers.values()) {
      Pos opener = ledger.members.get(0);
      for (int s = 1; s <= SHARED_ORDERS; s++) {
        opener.create(sharedUid(s));
      }
    }

    ExecutorService workers = Executors.newFixedThreadPool(terminals.size());
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> running = new ArrayList<>();
    for (Pos t : terminals) {
      running.add(workers.submit(() -> {
        go.await();
        t.work();
        return null;
      }));
    }
    go.countDown();
    for (Future<?> f : running) {
      f.get(rushBound().toMillis(), TimeUnit.MILLISECONDS); // rethrows a worker's failure
    }
    workers.shutdown();

    // Final state: a full inline sync_all from every terminal.
    Map<Pos, JsonObject> finalSync = new HashMap<>();
    for (Pos t : terminals) {
      finalSync.put(t, t.syncAll(true, null).getAsJsonObject("data"));
    }
    // Every broadcast has reached its poller: each stream ends one below the final sync_all's id.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      for (Pos t : terminals) {
        long lastBroadcast = finalSync.get(t).get("message_ID").getAsLong() - 1;
        assertThat(t.poller.highestMessageId()).as("stream of %s", t).isEqualTo(lastBroadcast);
      }
    });
    stopPollers();

    Map<String, List<Long>> committed = committedIdsByChannel();
    for (Ledger ledger : ledgers.values()) {
      assertSequenceNumbersAreOneToN(ledger);
      assertEveryAcceptedRevisionIsUniqueAndGapFree(ledger);
      for (Pos t : ledger.members) {
        assertStreamIsConsecutive(t, finalSync.get(t).get("message_ID").getAsLong());
        assertThat(t.poller.received()).extracting(Received::id)
            .as("a poller that kept polling got every id committed on its channel, %s", t)
            .containsExactlyElementsOf(
                committed.getOrDefault(Channel.canonical(t.channel()), List.of()));
        assertFinalStateShowsLastAcceptedUpdate(ledger, finalSync.get(t));
      }
      assertThat(status(ledger.key)).isEqualTo(new MultiSessionStatus(
          1, ledger.created.size(), ledger.created.size(), ledger.created.size(),
          ledger.members.size()));
    }
    // The rush did produce conflicts, or the shared orders tested nothing.
    assertThat(ledgers.get(new MultiSessionKey("shop", 1)).conflicts.get()).isPositive();
  }

  // --- the checks -------------------------------------------------------------------------

  /**
   * A multi-session's status: on one node as it holds it; on a cluster as a node picked at random
   * reads it from the store now (another node may have decided last).
   */
  private MultiSessionStatus status(MultiSessionKey key) {
    if (cluster == null) {
      return nodes.get(0).node().pipeline().status(key).orElseThrow();
    }
    return anyNode().node().pipeline().currentStatus(key);
  }

  /** Every notification id the store committed, by channel, in id order. */
  private Map<String, List<Long>> committedIdsByChannel() {
    Map<String, List<Long>> out = new HashMap<>();
    for (Notification n : anyNode().node().store().notificationsSince(0, Long.MAX_VALUE)) {
      out.computeIfAbsent(Channel.canonical(n.channel()), c -> new ArrayList<>()).add(n.id());
    }
    return out;
  }

  /** New orders were numbered 1..N in each multi-session: no number twice, none skipped. */
  private static void assertSequenceNumbersAreOneToN(Ledger ledger) {
    List<Long> numbers = new ArrayList<>(ledger.created.values());
    Collections.sort(numbers);
    assertThat(numbers).as("sequence numbers of %s", ledger.key)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, numbers.size()).boxed().toList());
    assertThat(numbers).hasSize(SHARED_ORDERS + OWN_ORDERS * ledger.members.size());
  }

  /** Each revision of an order was granted to exactly one update: 1, 2, …, R. */
  private static void assertEveryAcceptedRevisionIsUniqueAndGapFree(Ledger ledger) {
    for (Map.Entry<String, Queue<Accepted>> e : ledger.accepted.entrySet()) {
      List<Long> revisions = e.getValue().stream().map(Accepted::revision).sorted().toList();
      assertThat(revisions).as("revisions granted for %s in %s", e.getKey(), ledger.key)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, revisions.size()).boxed().toList());
    }
  }

  /**
   * In notification-id order a terminal's message_IDs run from the one after its registration to
   * the one before its final sync_all, with no gap and no repeat; it got every accepted update of
   * its multi-session exactly once, each order's revisions rising, and one sync_all answer per
   * conflict it ran into.
   */
  private void assertStreamIsConsecutive(Pos t, long finalMessageId) {
    List<Received> stream = t.poller.received();
    List<Long> ids = stream.stream().map(Received::id).toList();
    assertThat(ids).as("notification ids seen by %s", t).isSorted().doesNotHaveDuplicates();

    List<Long> messageIds = stream.stream()
        .map(r -> r.message().getAsJsonObject("data").get("message_ID").getAsLong()).toList();
    assertThat(messageIds).as("message_IDs of %s", t).containsExactlyElementsOf(
        LongStream.range(t.registeredAt + 1, finalMessageId).boxed().toList());

    Ledger ledger = ledgers.get(t.ms);
    Map<String, Long> lastRevision = new HashMap<>();
    int updates = 0;
    int syncAlls = 0;
    int copies = 0;
    JsonObject previous = null;
    for (Received r : stream) {
      assertThat(r.channel()).isEqualTo(t.channel());
      String action = r.message().get("action").getAsString();
      JsonObject data = r.message().getAsJsonObject("data");
      if (action.equals("update_order")) {
        updates++;
        String uid = data.get("uid").getAsString();
        long revision = data.get("revision_ID").getAsLong();
        assertThat(revision).as("revision of %s seen by %s", uid, t)
            .isEqualTo(lastRevision.getOrDefault(uid, 0L) + 1);
        lastRevision.put(uid, revision);
        assertThat(ledger.created).containsKey(uid); // nothing from another multi-session
      } else {
        assertThat(action).isEqualTo("sync_all");
        syncAlls++;
        // Right after its own update of the order, while its sync_all for that order may still
        // be on its way, a terminal is sent the accepted order as a sync_all (docs/conflicts.md).
        if (previous != null && previous.get("action").getAsString().equals("update_order")
            && previous.get("session_id").equals(data.get("session_id"))
            && previous.getAsJsonObject("data").get("uid").equals(data.get("uid"))) {
          copies++;
        }
      }
      previous = r.message();
    }
    assertThat(updates).isEqualTo(ledger.accepted.values().stream().mapToInt(Queue::size).sum());
    assertThat(syncAlls - copies).isEqualTo(t.conflicts);
  }

  /** A full sync_all lists every order with the revision and content of its last accepted update. */
  private static void assertFinalStateShowsLastAcceptedUpdate(Ledger ledger, JsonObject finalSync) {
    assertThat(finalSync.get("order_ID").getAsLong()).isEqualTo(ledger.created.size());
    Map<String, JsonObject> orders = new HashMap<>();
    for (JsonElement o : finalSync.getAsJsonArray("orders")) {
      JsonObject data = o.getAsJsonObject().getAsJsonObject("data");
      orders.put(data.get("uid").getAsString(), data);
    }
    assertThat(orders.keySet()).isEqualTo(ledger.created.keySet());
    for (Map.Entry<String, Queue<Accepted>> e : ledger.accepted.entrySet()) {
      Accepted last = e.getValue().stream()
          .max((a, b) -> Long.compare(a.revision(), b.revision())).orElseThrow();
      JsonObject data = orders.get(e.getKey());
      assertThat(data.get("revision_ID").getAsLong()).isEqualTo(last.revision());
      assertThat(data.get("note").getAsString()).isEqualTo(last.note());
      assertThat(data.get("sequence_number").getAsLong()).isEqualTo(ledger.created.get(e.getKey()));
    }
  }

  // --- the scenario's cast ----------------------------------------------------------------

  private void addMultiSession(String db, long msId, int[] posIds) {
    Ledger ledger = new Ledger(new MultiSessionKey(db, msId));
    ledgers.put(ledger.key, ledger);
    for (int posId : posIds) {
      // Distinct users: a non-immediate sync_all then reaches only the terminal that asked (§5.6).
      Pos t = new Pos(ledger, posId, 1000 * (int) msId + posId, 100 + posId);
      ledger.members.add(t);
      terminals.add(t);
    }
  }

  private static String sharedUid(int s) {
    return "00000-000-%04d".formatted(s);
  }

  /** What one multi-session handed out, as the terminals saw it in their answers. */
  private static final class Ledger {
    final MultiSessionKey key;
    final List<Pos> members = new ArrayList<>();
    /** uid → sequence number assigned at creation. */
    final Map<String, Long> created = new ConcurrentHashMap<>();
    /** uid → every update_revision_ID answer for it. */
    final Map<String, Queue<Accepted>> accepted = new ConcurrentHashMap<>();
    final AtomicInteger conflicts = new AtomicInteger();

    Ledger(MultiSessionKey key) {
      this.key = key;
    }

    void accept(String uid, long revision, String note) {
      accepted.computeIfAbsent(uid, u -> new ConcurrentLinkedQueue<>())
          .add(new Accepted(revision, note));
    }
  }

  record Accepted(long revision, String note) {}

  record Received(long id, String channel, JsonObject message) {}

  /** One POS config: its requests, and a long-poll loop on its multi-session channel. */
  private final class Pos {
    final MultiSessionKey ms;
    final Ledger ledger;
    final int posId;
    final int userId;
    final int sessionId;
    /** One client per node. */
    final List<RpcClient> rpcs;
    final Poller poller;
    long registeredAt;
    int conflicts;
    private int nonce;

    Pos(Ledger ledger, int posId, int userId, int sessionId) {
      this.ledger = ledger;
      this.ms = ledger.key;
      this.posId = posId;
      this.userId = userId;
      this.sessionId = sessionId;
      this.rpcs = nodes.stream().map(n -> new RpcClient(n.baseUri(), http)).toList();
      this.poller = new Poller(this);
    }

    String channel() {
      return "[\"%s\",\"pos.multi_session\",\"%d\"]".formatted(ms.dbname(), posId);
    }

    /** The terminal's part of the rush: own orders with edits, and contested edits in between. */
    void work() throws Exception {
      for (int k = 1; k <= OWN_ORDERS; k++) {
        String uid = "%05d-001-%04d".formatted(sessionId, k);
        create(uid);
        for (int e = 1; e <= EDITS_PER_OWN_ORDER; e++) {
          String note = "%d own %d".formatted(posId, e);
          JsonObject r = updateOrder(uid, e, ledger.created.get(uid), note);
          assertThat(r.get("action").getAsString()).as("sole editor of %s", uid)
              .isEqualTo("update_revision_ID");
          assertThat(r.get("revision_ID").getAsLong()).isEqualTo(e + 1);
          ledger.accept(uid, e + 1, note);
        }
        if (k <= CONTESTED_EDITS) {
          contestedEdit(sharedUid(1 + (k + posId) % SHARED_ORDERS), k);
        }
      }
    }

    void create(String uid) throws Exception {
      String note = posId + " created";
      JsonObject r = updateOrder(uid, 1, 9999, note);
      assertThat(r.get("action").getAsString()).isEqualTo("update_revision_ID");
      assertThat(r.get("revision_ID").getAsLong()).isEqualTo(1);
      assertThat(r.get("run_ID").getAsLong()).isEqualTo(1);
      assertThat(ledger.created.put(uid, r.get("order_ID").getAsLong())).as("created twice").isNull();
      ledger.accept(uid, 1, note);
    }

    /**
     * Edits a shared order with the newest revision this terminal knows; on a conflict asks for
     * that order (the answer arrives on the bus, §5.6) and tries again with what it brings.
     */
    void contestedEdit(String uid, int k) throws Exception {
      for (int attempt = 0; attempt < 100; attempt++) {
        long revision = poller.knownRevision(uid);
        String note = "%d contested %d/%d".formatted(posId, k, attempt);
        JsonObject r = updateOrder(uid, revision, ledger.created.get(uid), note);
        String action = r.get("action").getAsString();
        if (action.equals("update_revision_ID")) {
          assertThat(r.get("revision_ID").getAsLong()).isEqualTo(revision + 1);
          ledger.accept(uid, revision + 1, note);
          poller.learn(uid, revision + 1);
          return;
        }
        assertThat(r).isEqualTo(JsonParser.parseString(
            "{\"action\":\"revision_error\",\"order_uid\":\"" + uid + "\",\"state\":\"draft\"}"));
        conflicts++;
        ledger.conflicts.incrementAndGet();
        assertThat(syncAll(false, uid)).isEqualTo(new JsonObject());
        poller.awaitRevisionAbove(uid, revision);
      }
      fail("%s never got an edit of %s through", this, uid);
    }

    JsonObject updateOrder(String uid, long revision, long sequence, String note) throws Exception {
      return send("""
          {"action":"update_order","session_id":%d,"login_number":1,
           "data":{"uid":"%s","sequence_number":%d,"revision_ID":%d,"run_ID":1,"pos_id":%d,
                   "nonce":"%s","note":"%s","amount_total":%d.5,
                   "lines":[[0,0,{"uid":"%s-1","qty":%d,"price_unit":3.5,"product_id":7}]]}}"""
          .formatted(sessionId, uid, sequence, revision, posId, nextNonce(), note, revision, uid,
              revision)).getAsJsonObject();
    }

    JsonObject syncAll(boolean immediate, String uid) throws Exception {
      return send("""
          {"action":"sync_all","data":{"run_ID":1,"pos_id":%d,"nonce":"%s"},%s%s
           "session_id":%d,"login_number":1}"""
          .formatted(posId, nextNonce(), immediate ? "\"immediate_rerendering\":true," : "",
              uid == null ? "" : "\"uid\":\"" + uid + "\",", sessionId)).getAsJsonObject();
    }

    private JsonElement send(String message) throws Exception {
      RpcClient.Answer a = rpc().call(PosSyncServer.UPDATE_PATH, JsonParser.parseString("""
          {"multi_session_id":%d,"dbname":"%s","user_ID":%d,"message":%s}"""
          .formatted(ms.multiSessionId(), ms.dbname(), userId, message)));
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.isError()).as("error for %s: %s", this, a.body()).isFalse();
      return a.result();
    }

    /** Where this request goes: a node picked at random, request by request. */
    RpcClient rpc() {
      return rpcs.get(ThreadLocalRandom.current().nextInt(rpcs.size()));
    }

    private String nextNonce() {
      return "p%d-%d-%d".formatted(posId, userId, ++nonce);
    }

    @Override
    public String toString() {
      return ms.dbname() + "/" + ms.multiSessionId() + " pos " + posId;
    }
  }

  /**
   * A terminal's long-poll loop (§3.2): polls its channel with the highest id seen, collects what
   * comes and learns order revisions from it, as the POS does.
   */
  private final class Poller implements Runnable {
    private final Pos pos;
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Long> revisions = new HashMap<>(); // guarded by this
    volatile boolean running = true;
    private volatile Throwable failure;
    private Thread thread;
    private long last;

    Poller(Pos pos) {
      this.pos = pos;
    }

    void start() {
      thread = new Thread(this, "poller " + pos);
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      if (thread != null) {
        thread.join(10_000);
        assertThat(thread.isAlive()).isFalse();
      }
      if (failure != null) {
        throw new AssertionError("poller of " + pos + " failed", failure);
      }
    }

    @Override
    public void run() {
      try {
        while (running) {
          RpcClient.Answer a = pos.rpc().call(PosSyncServer.POLL_PATH, JsonParser.parseString(
              "{\"channels\":[" + new JsonPrimitive(pos.channel())
                  + "],\"last\":" + last + ",\"options\":{\"bus_inactivity\":0}}"));
          JsonArray batch = a.result().getAsJsonArray();
          for (JsonElement e : batch) {
            JsonObject n = e.getAsJsonObject();
            Received r = new Received(n.get("id").getAsLong(), n.get("channel").getAsString(),
                n.getAsJsonObject("message"));
            received.add(r);
            last = Math.max(last, r.id());
            learn(r.message());
          }
        }
      } catch (Throwable t) {
        failure = t;
      }
    }

    private synchronized void learn(JsonObject message) {
      JsonObject data = message.getAsJsonObject("data");
      List<JsonObject> orders = new ArrayList<>();
      if (message.get("action").getAsString().equals("sync_all")) {
        for (JsonElement o : data.getAsJsonArray("orders")) {
          orders.add(o.getAsJsonObject().getAsJsonObject("data"));
        }
      } else {
        orders.add(data);
      }
      for (JsonObject o : orders) {
        learn(o.get("uid").getAsString(), o.get("revision_ID").getAsLong());
      }
    }

    synchronized void learn(String uid, long revision) {
      revisions.merge(uid, revision, Math::max);
      notifyAll();
    }

    synchronized long knownRevision(String uid) {
      return revisions.getOrDefault(uid, 1L);
    }

    /** Waits (on a condition, woken by each notification) until the bus brought a newer revision. */
    synchronized void awaitRevisionAbove(String uid, long revision) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (revisions.getOrDefault(uid, 1L) <= revision) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("%s: no revision of %s above %d arrived", pos, uid, revision);
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    long highestMessageId() {
      synchronized (received) {
        return received.isEmpty() ? 0
            : received.get(received.size() - 1).message().getAsJsonObject("data")
                .get("message_ID").getAsLong();
      }
    }

    List<Received> received() {
      synchronized (received) {
        return List.copyOf(received);
      }
    }
  }
}
