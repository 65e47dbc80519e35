package io.possync.e2e;

import static org.awaitility.Awaitility.await;

import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import io.possync.testing.TestNode;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The PosSync that plays one server of a replayed transcript ({@link GoldenReplay}): one node, or
 * a cluster whose every request goes to a node picked at random, as behind a load balancer
 * without stickiness.
 */
interface ReplayServer extends AutoCloseable {
  /** Where the next request goes (on a cluster, a node picked at random for it alone). */
  RpcClient client();

  /** Polls parked now, on every node. */
  int heldPolls();

  /**
   * Waits until what was committed so far is visible to polls on every node. One node publishes
   * before it answers; a cluster's other nodes mirror the shared table a moment later, and a poll
   * one of them holds meanwhile is answered once it has (with what comes next, if that came
   * first).
   */
  void settle();

  /** Restarts the node on its port and data, as an operator would (a cluster: not supported). */
  void restart() throws Exception;

  @Override
  void close() throws Exception;

  /** One node. */
  static ReplayServer of(TestNode node) {
    return new ReplayServer() {
      private RpcClient client = new RpcClient(node.baseUri());

      @Override
      public RpcClient client() {
        return client;
      }

      @Override
      public int heldPolls() {
        return node.node().bus().heldPolls();
      }

      @Override
      public void settle() {
        // published before answered
      }

      @Override
      public void restart() throws Exception {
        node.restart();
        client = new RpcClient(node.baseUri());
      }

      @Override
      public void close() throws Exception {
        node.close();
      }
    };
  }

  /** A cluster; each request goes to one of its nodes picked at random. */
  static ReplayServer of(TestCluster cluster) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<RpcClient> clients =
        cluster.nodes().stream().map(n -> new RpcClient(n.baseUri(), http)).toList();
    return new ReplayServer() {
      @Override
      public RpcClient client() {
        return clients.get(ThreadLocalRandom.current().nextInt(clients.size()));
      }

      @Override
      public int heldPolls() {
        return cluster.nodes().stream().mapToInt(n -> n.node().bus().heldPolls()).sum();
      }

      @Override
      public void settle() {
        long committed = cluster.node(0).node().store().lastNotificationId();
        await("every node mirrors notification " + committed).atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(1)).until(() -> cluster.nodes().stream()
                .allMatch(n -> n.node().bus().lastId() >= committed));
      }

      @Override
      public void restart() {
        throw new UnsupportedOperationException("the cluster replay runs without restarts");
      }

      @Override
      public void close() throws Exception {
        cluster.close();
      }
    };
  }
}
