package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Writers on one multi-session through two nodes at once, each on its own orders: the nodes'
 * decisions on the multi-session keep meeting, so many commits are refused as stale and decided
 * again. A decision taken again must be the one a single node would take on the fresh state:
 * every update acknowledged as sent, none refused, each order holding its last one.
 */
class ClusterContentionTest {
  private static final String DB = "contention";
  private static final long MULTI_SESSION = 1;
  private static final int WRITERS = 4;

  private TestCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.start(2, Map.of("poll.timeout", "5"));
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void updatesDecidedAgainAfterAStaleCommitAreAcceptedAsSent() throws Exception {
    List<RpcClient> nodes = new ArrayList<>();
    for (URI uri : cluster.baseUris()) {
      nodes.add(new RpcClient(uri));
    }
    AtomicBoolean stopWriting = new AtomicBoolean();
    List<LedgerWriter> writers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 1; i <= WRITERS; i++) {
      LedgerWriter w = new LedgerWriter(DB, MULTI_SESSION, 20 + i, nodes, 5, 0, 30_000,
          stopWriting);
      writers.add(w);
      threads.add(new Thread(w, "writer-" + i));
    }
    threads.forEach(Thread::start);
    Thread.sleep(6_000); // pacing: the writers run this long
    stopWriting.set(true);
    for (Thread t : threads) {
      t.join(60_000);
    }

    Map<String, String> expected = new HashMap<>();
    int acked = 0;
    for (LedgerWriter w : writers) {
      assertThat(w.problems()).isEmpty();
      expected.putAll(StoredOrders.expected(w.ledger().values()));
      acked += w.attempts().size();
    }
    assertThat(acked).as("updates sent").isGreaterThan(100);
    for (RpcClient node : nodes) {
      assertThat(StoredOrders.differences(expected, StoredOrders.read(node, DB, MULTI_SESSION,
          90))).isEmpty();
    }
  }
}
