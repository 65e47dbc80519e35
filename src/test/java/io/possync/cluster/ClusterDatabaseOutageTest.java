package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.testing.Pos;
import io.possync.testing.PostgresServer;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes under load while their PostgreSQL server is stopped for 10 s and started again.
 * While it is away, updates are refused with the store-unavailable error a single node gives
 * when its store fails (the POS goes offline and retries), and polls are still answered from
 * memory. Once it is back, everything resumes by itself: writes are accepted, a commit on one
 * node reaches a poll held on the other, and no acknowledged update was lost.
 *
 * <p>The server is the JVM's shared one: it is started again whatever happens, so the test
 * classes after this one find it running.
 */
class ClusterDatabaseOutageTest {
  private static final String DB = "outage";
  private static final long MULTI_SESSION = 1;
  private static final long POLLED_POS = 91;
  private static final String POLLED_CHANNEL =
      "[\"" + DB + "\",\"pos.multi_session\",\"" + POLLED_POS + "\"]";
  /** Uid prefix of the orders the test sends itself, besides the writers'. */
  private static final String PROBE = "00001-001-";
  /** Where only PONGs go: a poll on it is answered by a PING's commit alone. */
  private static final String PONG_CHANNEL =
      "[\"" + DB + "\",\"pos.longpolling\",\"" + POLLED_POS + "\"]";
  private static final String STORE_UNAVAILABLE = "possync.exceptions.StoreUnavailable";
  private static final Duration OUTAGE = Duration.ofSeconds(10);
  /** Longest everything may take to resume once PostgreSQL accepts connections again. */
  private static final Duration RESUME_BOUND = Duration.ofSeconds(30);
  private static final int POLL_TIMEOUT_SECONDS = 3;

  private final PostgresServer pg = PostgresServer.shared();
  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    try {
      if (!pg.running()) {
        pg.start(); // the test classes after this one need it
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  void updatesAreRefusedPollsAnsweredAndAllResumesAfterTheDatabaseReturns() throws Exception {
    long began = System.nanoTime();
    cluster = TestCluster.start(2, Map.of("poll.timeout", Integer.toString(POLL_TIMEOUT_SECONDS)));
    List<RpcClient> nodes = new ArrayList<>();
    for (URI uri : cluster.baseUris()) {
      nodes.add(new RpcClient(uri));
    }
    RpcClient a = nodes.get(0);
    RpcClient b = nodes.get(1);
    StoredOrders.read(a, DB, MULTI_SESSION, POLLED_POS); // registers the polled terminal

    AtomicBoolean stopPolling = new AtomicBoolean();
    OrderingPoller poller = new OrderingPoller(nodes, List.of(POLLED_CHANNEL), stopPolling);
    Thread pollerThread = new Thread(poller, "poller");
    AtomicBoolean stopWriting = new AtomicBoolean();
    List<LedgerWriter> writers = new ArrayList<>();
    List<Thread> writerThreads = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      // Each update may wait out the whole outage.
      LedgerWriter w = new LedgerWriter(DB, MULTI_SESSION, 10 + i, nodes, 6, 50, 90_000,
          stopWriting);
      writers.add(w);
      writerThreads.add(new Thread(w, "writer-" + i));
    }
    pollerThread.start();
    writerThreads.forEach(Thread::start);
    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> writers.stream().allMatch(w -> w.ledger().size() >= 2));

    long stopping = System.nanoTime();
    long stopped;
    long restarted;
    long lastBefore;
    try {
      pg.stop();
      stopped = System.nanoTime();
      lastBefore = highestId(b.call("/longpolling/poll", Pos.poll(DB, POLLED_POS, 0)));

      // Updates are refused with the error a failed commit gives, and none hangs.
      long sent = System.nanoTime();
      RpcClient.Answer refused = a.call("/pos_multi_session_sync/update",
          Pos.update(DB, MULTI_SESSION, 1, Pos.updateOrder(1, PROBE + "0", 1, 1, 1, "o", 1)));
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - sent)).isLessThan(10);
      assertStoreUnavailable(refused);
      assertStoreUnavailable(b.call("/pos_longpolling/update", ping()));

      // Polls are answered from memory: retained notifications, and a held poll times out.
      JsonArray retained = b.call("/longpolling/poll", Pos.poll(DB, POLLED_POS, 0)).result()
          .getAsJsonArray();
      assertThat(retained).as("notifications retained before the outage").isNotEmpty();
      long held = System.nanoTime();
      RpcClient.Answer timedOut = b.callAsync("/longpolling/poll",
          Pos.poll(DB, POLLED_POS, lastBefore)).get(20, TimeUnit.SECONDS);
      assertThat(timedOut.isError()).as("%s", timedOut.body()).isFalse();
      assertThat(timedOut.result().getAsJsonArray()).isEmpty();
      assertThat(System.nanoTime() - held)
          .isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(POLL_TIMEOUT_SECONDS) * 9 / 10);

      long rest = OUTAGE.toNanos() - (System.nanoTime() - stopped);
      if (rest > 0) {
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(rest)); // pacing: the outage lasts this long
      }
      restarted = System.nanoTime();
    } finally {
      pg.start();
    }
    long accepting = System.nanoTime();

    // Writes are accepted again on both nodes.
    AtomicLong probe = new AtomicLong();
    for (RpcClient node : nodes) {
      Awaitility.await().atMost(RESUME_BOUND).pollInterval(Duration.ofMillis(200))
          .until(() -> !node.call("/pos_multi_session_sync/update", Pos.update(DB, MULTI_SESSION,
              1, Pos.updateOrder(1, PROBE + probe.incrementAndGet(), 1, 1, 1, "p", 1)))
              .isError());
    }
    long writable = System.nanoTime();
    // A commit on one node reaches a poll held on the other at once (LISTEN is back), not only
    // by the follower's one-second safety net.
    Awaitility.await().atMost(RESUME_BOUND).ignoreExceptions()
        .untilAsserted(() -> assertHeldPollAnsweredAtOnce(a, b));
    long following = System.nanoTime();

    stopWriting.set(true);
    for (Thread t : writerThreads) {
      t.join(120_000);
    }
    Map<String, String> expected = new HashMap<>();
    Set<String> renumbered = new HashSet<>();
    int refusedWhileAway = 0;
    for (LedgerWriter w : writers) {
      assertThat(w.problems()).isEmpty();
      expected.putAll(StoredOrders.expected(w.ledger().values()));
      renumbered.addAll(w.renumbered());
      for (LedgerWriter.Attempt at : w.attempts()) {
        if (at.sentNanos() >= stopped && at.answeredNanos() <= restarted) {
          assertThat(at.outcome()).as("an update answered while PostgreSQL was away")
              .isEqualTo(STORE_UNAVAILABLE);
          refusedWhileAway++;
        }
      }
    }
    assertThat(refusedWhileAway).as("updates the writers sent while it was away").isPositive();
    for (RpcClient node : nodes) {
      Map<String, String> stored =
          new TreeMap<>(StoredOrders.read(node, DB, MULTI_SESSION, 90, renumbered));
      stored.keySet().removeIf(uid -> uid.startsWith(PROBE)); // in no ledger
      assertThat(StoredOrders.differences(expected, stored)).as("every acknowledged update")
          .isEmpty();
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Map<String, String> seen = new HashMap<>(poller.orders());
      seen.keySet().removeIf(uid -> uid.startsWith(PROBE));
      assertThat(StoredOrders.differences(expected, seen)).isEmpty();
    });
    stopPolling.set(true);
    pollerThread.join(30_000);
    assertThat(poller.problems()).as("the poller's problems").isEmpty();

    System.out.printf("ClusterDatabaseOutageTest: %d s; stop took %d ms, outage %d ms, writes"
        + " accepted %d ms and a held poll answered across nodes %d ms after the start;"
        + " %d updates refused while away%n",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began),
        TimeUnit.NANOSECONDS.toMillis(stopped - stopping),
        TimeUnit.NANOSECONDS.toMillis(accepting - stopped),
        TimeUnit.NANOSECONDS.toMillis(writable - accepting),
        TimeUnit.NANOSECONDS.toMillis(following - accepting), refusedWhileAway);
  }

  private static void assertStoreUnavailable(RpcClient.Answer answer) {
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.isError()).as("%s", answer.body()).isTrue();
    JsonObject error = answer.error();
    assertThat(error.get("code").getAsInt()).isEqualTo(200);
    assertThat(error.get("message").getAsString()).isEqualTo("Odoo Server Error");
    assertThat(error.getAsJsonObject("data").get("name").getAsString())
        .as("%s", answer.body()).isEqualTo(STORE_UNAVAILABLE);
  }

  /** Holds a poll on {@code b}, commits a PING's PONG for it through {@code a}. */
  private static void assertHeldPollAnsweredAtOnce(RpcClient a, RpcClient b) throws Exception {
    long last = highestId(b.call("/longpolling/poll", pongPoll(0)));
    CompletableFuture<RpcClient.Answer> held = b.callAsync("/longpolling/poll", pongPoll(last));
    Thread.sleep(200); // pacing: the poll is parked on b
    assertThat(held).isNotDone();
    long sent = System.nanoTime();
    RpcClient.Answer pong = a.call("/pos_longpolling/update", ping());
    assertThat(pong.isError()).as("%s", pong.body()).isFalse();
    RpcClient.Answer answer = held.get(5, TimeUnit.SECONDS);
    assertThat(highestId(answer)).isGreaterThan(last);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent))
        .as("answered sooner than the follower's safety net").isLessThan(900);
  }

  private static JsonObject pongPoll(long last) {
    JsonArray channels = new JsonArray();
    channels.add(PONG_CHANNEL);
    JsonObject p = new JsonObject();
    p.add("channels", channels);
    p.addProperty("last", last);
    return p;
  }

  private static JsonElement ping() {
    JsonObject p = new JsonObject();
    p.addProperty("message", "PING");
    p.addProperty("pos_id", POLLED_POS);
    p.addProperty("db_name", DB);
    return p;
  }

  private static long highestId(RpcClient.Answer polled) {
    long last = 0;
    for (JsonElement e : polled.result().getAsJsonArray()) {
      last = Math.max(last, e.getAsJsonObject().get("id").getAsLong());
    }
    return last;
  }
}
