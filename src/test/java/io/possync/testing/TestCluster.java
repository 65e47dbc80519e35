package io.possync.testing;

import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * Several PosSync nodes in this JVM, each on its own loopback port, sharing one fresh PostgreSQL
 * database of {@link PostgresServer#shared()}: a cluster for tests (docs/cluster.md). Settings
 * given apply to every node.
 */
public final class TestCluster implements AutoCloseable {
  /** The environment variable the nodes read their database password from. */
  public static final String PASSWORD_ENV = "POSSYNC_TEST_PG_PASSWORD";

  private final String url;
  private final List<TestNode> nodes = new ArrayList<>();

  private TestCluster(String url) {
    this.url = url;
  }

  /** Starts {@code count} nodes on a new database. */
  public static TestCluster start(int count, Map<String, String> overrides) throws Exception {
    return start(count, overrides, Clock.systemUTC());
  }

  /** Starts {@code count} nodes on a new database, their timers on {@code clock}. */
  public static TestCluster start(int count, Map<String, String> overrides, Clock clock)
      throws Exception {
    PostgresServer pg = PostgresServer.shared();
    TestCluster cluster = new TestCluster(pg.createDatabase("cluster"));
    try {
      for (int i = 0; i < count; i++) {
        cluster.nodes.add(TestNode.start(cluster.settings(i, overrides), clock,
            Map.of(PASSWORD_ENV, pg.password())));
      }
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * Starts {@code count} nodes on a new database, node {@code i} with the overrides
   * {@code overridesOf} gives for it: e.g. each node its own address of a stand-in Odoo, so that
   * the stand-in tells which node called it.
   */
  public static TestCluster start(int count, IntFunction<Map<String, String>> overridesOf)
      throws Exception {
    PostgresServer pg = PostgresServer.shared();
    TestCluster cluster = new TestCluster(pg.createDatabase("cluster"));
    try {
      for (int i = 0; i < count; i++) {
        cluster.nodes.add(TestNode.start(cluster.settings(i, overridesOf.apply(i)),
            Clock.systemUTC(), Map.of(PASSWORD_ENV, pg.password())));
      }
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** The settings node {@code i} starts with: the shared database, then the overrides. */
  public Map<String, String> settings(int i, Map<String, String> overrides) {
    Map<String, String> values = new HashMap<>();
    values.put("store.kind", "postgresql");
    values.put("store.url", url);
    values.put("store.user", PostgresServer.shared().user());
    values.put("store.password_env", PASSWORD_ENV);
    values.put("store.pool_size", "4");
    values.put("cluster.node_name", "node" + (i + 1));
    values.putAll(overrides);
    return values;
  }

  /** The JDBC URL of the cluster's database. */
  public String url() {
    return url;
  }

  public List<TestNode> nodes() {
    return List.copyOf(nodes);
  }

  public TestNode node(int i) {
    return nodes.get(i);
  }

  /** A node picked at random, as a load balancer without stickiness would. */
  public TestNode anyNode() {
    return nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
  }

  /** Every node's {@code sync_server} address. */
  public List<URI> baseUris() {
    return nodes.stream().map(TestNode::baseUri).toList();
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (TestNode n : nodes) {
      try {
        n.close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
