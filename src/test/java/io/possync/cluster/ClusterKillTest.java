package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.testing.PostgresServer;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes, each a separate process, on one PostgreSQL database, under load from terminals
 * that send each request to a node picked at random (no stickiness, as behind a plain load
 * balancer) and retry on another node when one fails. One node at a time is killed with SIGKILL
 * at a random moment and started again on its port. Checked at the end: no acknowledged update
 * lost (every order holds exactly its last acknowledged revision, read through every node), no
 * notification id going back for any poller, no gap in any terminal's message_IDs, every
 * terminal's view of the orders the same as the stored one.
 *
 * <p>{@code -Dpossync.cluster.kills=N} sets the number of kills (default 20),
 * {@code -Dpossync.cluster.seed=S} replays the choice of victims and moments.
 */
class ClusterKillTest {
  private static final String DB = "killdb";
  private static final int NODES = 3;
  private static final List<Long> MULTI_SESSIONS = List.of(1L, 2L);
  private static final int WRITERS_PER_SESSION = 3;
  private static final int POLLERS = 3;
  /** The terminals the pollers are: registered by a sync_all, they get every broadcast. */
  private static final long POLLED_POS = 90;
  /** The terminals whose sync_all reads the final state. */
  private static final long CHECKER_POS = 80;

  private final List<ServerProcess> nodes = new ArrayList<>();

  @AfterEach
  void stopNodes() throws InterruptedException {
    for (ServerProcess node : nodes) {
      node.close();
    }
  }

  @Test
  void acknowledgedUpdatesSurviveNodesKilledAtRandom() throws Exception {
    int kills = Integer.getInteger("possync.cluster.kills", 20);
    long seed = Long.getLong("possync.cluster.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("ClusterKillTest seed=" + seed + " kills=" + kills);
    long began = System.nanoTime();

    String url = PostgresServer.shared().createDatabase("kill");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    List<RpcClient> clients = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      ServerProcess node = ServerProcess.clusterNode(ServerProcess.freePort(),
          Files.createTempDirectory("possync-cluster-kill-"), url, "node" + (i + 1));
      nodes.add(node);
      clients.add(new RpcClient(node.baseUri(), http));
    }
    for (ServerProcess node : nodes) {
      node.start();
    }

    AtomicBoolean stopPolling = new AtomicBoolean();
    List<String> polledChannels = new ArrayList<>();
    for (long ms : MULTI_SESSIONS) {
      StoredOrders.read(clients.get(0), DB, ms, POLLED_POS + ms); // registers the terminal
      polledChannels.add("[\"" + DB + "\",\"pos.multi_session\",\"" + (POLLED_POS + ms) + "\"]");
    }
    List<OrderingPoller> pollers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < POLLERS; i++) {
      OrderingPoller p = new OrderingPoller(clients, polledChannels, stopPolling);
      pollers.add(p);
      threads.add(new Thread(p, "poller-" + i));
    }
    AtomicBoolean stopWriting = new AtomicBoolean();
    List<LedgerWriter> writers = new ArrayList<>();
    List<Thread> writerThreads = new ArrayList<>();
    for (long ms : MULTI_SESSIONS) {
      for (int w = 0; w < WRITERS_PER_SESSION; w++) {
        long pos = 10 + writers.size() + 1;
        LedgerWriter writer = new LedgerWriter(DB, ms, pos, clients, 8, 30, 90_000, stopWriting);
        writers.add(writer);
        writerThreads.add(new Thread(writer, "writer-" + pos));
      }
    }
    threads.forEach(Thread::start);
    writerThreads.forEach(Thread::start);

    List<Long> restartMillis = new ArrayList<>();
    for (int k = 1; k <= kills; k++) {
      Thread.sleep(300 + random.nextInt(900)); // pacing: load reaches every node between kills
      ServerProcess victim = nodes.get(random.nextInt(NODES));
      victim.kill();
      long killed = System.nanoTime();
      victim.start();
      restartMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
    }
    Thread.sleep(500); // pacing: some load on the last restarted node too
    stopWriting.set(true);
    for (Thread t : writerThreads) {
      t.join(120_000);
      assertThat(t.isAlive()).as("%s ended", t.getName()).isFalse();
    }
    report(writers, pollers, restartMillis, began);

    Map<String, String> expected = new HashMap<>();
    List<String> problems = new ArrayList<>();
    Set<String> renumbered = new HashSet<>();
    for (LedgerWriter w : writers) {
      problems.addAll(w.problems());
      expected.putAll(StoredOrders.expected(w.ledger().values()));
      renumbered.addAll(w.renumbered());
    }
    Map<String, String> stored = new HashMap<>();
    for (long ms : MULTI_SESSIONS) {
      Map<String, String> first =
          StoredOrders.read(clients.get(0), DB, ms, CHECKER_POS + ms, renumbered);
      for (int i = 1; i < NODES; i++) {
        assertThat(StoredOrders.differences(first,
            StoredOrders.read(clients.get(i), DB, ms, CHECKER_POS + ms, renumbered)))
            .as("multi-session %d through node 1 and node %d", ms, i + 1).isEmpty();
      }
      stored.putAll(first);
    }
    assertThat(problems).as("writer problems (seed=%d); acknowledged and stored differ: %s", seed,
        StoredOrders.differences(expected, stored)).isEmpty();
    assertThat(StoredOrders.differences(expected, stored))
        .as("every acknowledged update, and nothing else (seed=%d)", seed).isEmpty();

    // Every terminal ends up showing the stored orders.
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (OrderingPoller p : pollers) {
        assertThat(StoredOrders.differences(stored, p.orders())).isEmpty();
      }
    });
    stopPolling.set(true);
    for (Thread t : threads) {
      t.join(30_000);
    }
    for (OrderingPoller p : pollers) {
      assertThat(p.problems()).as("poller problems (seed=%d)", seed).isEmpty();
      assertThat(p.answers()).isPositive();
    }
  }

  private static void report(List<LedgerWriter> writers, List<OrderingPoller> pollers,
      List<Long> restartMillis, long began) {
    Map<String, Integer> outcomes = new TreeMap<>();
    int orders = 0;
    for (LedgerWriter w : writers) {
      orders += w.ledger().size();
      for (LedgerWriter.Attempt a : w.attempts()) {
        outcomes.merge(a.outcome(), 1, Integer::sum);
      }
    }
    long pollFailures = pollers.stream().mapToLong(OrderingPoller::failures).sum();
    long pollAnswers = pollers.stream().mapToLong(OrderingPoller::answers).sum();
    System.out.printf("ClusterKillTest: %d s, %d orders, update outcomes %s, polls answered %d,"
        + " failed %d, restarts (ms) %s%n",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began), orders, outcomes, pollAnswers,
        pollFailures, restartMillis);
  }
}
