package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.possync.testing.PostgresServer;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import io.possync.testing.TestCluster;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox of a cluster survives the death of the node delivering it: three PosSync processes
 * on one database, the lease holder is killed with SIGKILL while Odoo is still working on its
 * create_from_ui (Odoo commits it nevertheless), and another node takes the lease over once it
 * expires, well within 30 s, and finishes the outbox without creating any order twice.
 *
 * <p>Separate processes, not nodes in this JVM: only a real SIGKILL leaves the lease unreleased,
 * the heartbeat stopped mid-interval and a call to Odoo cut off in the middle.
 */
class OutboxFailoverTest {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxFailoverTest.class);
  private static final String DB = StatefulOdooStub.DB;
  private static final List<String> NAMES = List.of("node1", "node2", "node3");
  /** Odoo takes this long over every create: long enough to kill a node during one. */
  private static final int CREATE_MILLIS = 6000;

  /** Kept when the test fails: each node's server.log is in it. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path tmp;

  private final List<ServerProcess> nodes = new ArrayList<>();
  private final List<URI> admins = new ArrayList<>();
  private StatefulOdooStub odoo;

  @AfterEach
  void stop() throws Exception {
    for (ServerProcess n : nodes) {
      n.close();
    }
    if (odoo != null) {
      odoo.close();
    }
  }

  @Test
  void anotherNodeFinishesTheOutboxOfANodeKilledWhileOdooWasCreatingAnOrder() throws Exception {
    odoo = new StatefulOdooStub(CREATE_MILLIS);
    List<String> uids = List.of("00011-001-0001", "00011-001-0002", "00011-001-0003");
    for (int i = 0; i < uids.size(); i++) {
      odoo.accepts("Order " + uids.get(i), 500 + i, 11, 2.5 + i);
    }
    String url = PostgresServer.shared().createDatabase("failover");
    SharedOutbox shared = new SharedOutbox(url);
    startNodes(url);
    await().atMost(Duration.ofSeconds(30)).until(() -> shared.holder(DB) != null);
    String first = shared.holder(DB);
    ServerProcess firstNode = nodes.get(NAMES.indexOf(first));
    ServerProcess other = nodes.get((NAMES.indexOf(first) + 1) % NAMES.size());

    // A terminal talking to another node hands over three orders paid offline.
    RpcClient terminal = new RpcClient(other.baseUri());
    for (int i = 0; i < uids.size(); i++) {
      RpcClient.Answer a = terminal.call("/pos_multi_session_sync/update",
          SharedOutbox.paidOffline(DB, uids.get(i), 2.5 + i));
      assertThat(a.isError()).as("%s", a.body()).isFalse();
    }
    String firstOrder = "Order " + uids.get(0);
    await().atMost(Duration.ofSeconds(20)).until(() -> !odoo.creates(firstOrder).isEmpty());
    assertThat(StatefulOdooStub.sender(odoo.creates(firstOrder).get(0))).isEqualTo(first);

    firstNode.kill(); // while Odoo works on that create: its answer will never be read
    long killed = System.nanoTime();
    SharedOutbox.Lease left = shared.lease(DB).orElseThrow();
    assertThat(left.node()).as("a killed node gives nothing up").isEqualTo(first);
    assertThat(left.expiresAt()).isGreaterThan(System.currentTimeMillis());
    assertThat(shared.deliveries(DB).get(0).state()).as("killed before Odoo answered")
        .isEqualTo("pending");

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> !first.equals(shared.holder(DB)));
    long takeoverMillis = (System.nanoTime() - killed) / 1_000_000;
    String second = shared.holder(DB);
    LOG.info("lease of {} taken over by {} {} ms after {} was killed", DB, second,
        takeoverMillis, first);
    assertThat(second).isIn(NAMES).isNotEqualTo(first);
    URI survivor = admins.get(NAMES.indexOf(second));
    assertThat(SharedOutbox.holderShownBy(survivor, DB)).as("/api/status").isEqualTo(second);
    assertThat(SharedOutbox.nodesShownBy(survivor)).as("/api/status").containsEntry(first, "down")
        .containsEntry(second, "up").hasSize(3);

    await().atMost(Duration.ofSeconds(60)).until(() -> shared.deliveries(DB).stream()
        .allMatch(e -> e.state().equals("done")));
    // Two more passes of every node, in which nothing may be sent again.
    int sent = odoo.creates().size();
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(10))
        .until(() -> odoo.creates().size() == sent);

    for (int i = 0; i < uids.size(); i++) {
      String name = "Order " + uids.get(i);
      assertThat(odoo.creates(name)).as("creates of %s", name).hasSize(1);
    }
    assertThat(odoo.searches(firstOrder)).as("the new holder looks the order up first")
        .isNotEmpty().allSatisfy(r -> assertThat(StatefulOdooStub.sender(r)).isEqualTo(second));
    assertThat(odoo.creates().subList(1, uids.size())).as("the rest come from the new holder")
        .allSatisfy(r -> assertThat(StatefulOdooStub.sender(r)).isEqualTo(second));
    assertThat(shared.deliveries(DB)).extracting(SharedOutbox.Entry::odooOrderId)
        .containsExactly(500, 501, 502);
    assertThat(shared.holder(DB)).as("the lease stays with the new holder").isEqualTo(second);
  }

  /**
   * Starts the three nodes at once: each is a JVM of its own, which takes a few seconds, and on
   * a busy host far more, hence the generous wait.
   */
  private void startNodes(String url) throws Exception {
    Path password = Files.writeString(tmp.resolve("odoo.pw"), StatefulOdooStub.PASSWORD + "\n");
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (String name : NAMES) {
      Path dataDir = Files.createDirectories(tmp.resolve(name));
      Map<String, String> settings = new TreeMap<>(odoo.settings(name, password));
      settings.putAll(Map.of(
          "store.kind", "postgresql",
          "store.url", url,
          "store.user", PostgresServer.shared().user(),
          "store.password_env", TestCluster.PASSWORD_ENV,
          "store.pool_size", "4",
          "cluster.node_name", name));
      StringBuilder properties = new StringBuilder();
      settings.forEach((k, v) -> properties.append(k).append(" = ").append(v).append('\n'));
      Path config = Files.writeString(tmp.resolve(name + ".properties"), properties);
      int adminPort = ServerProcess.freePort();
      admins.add(URI.create("http://127.0.0.1:" + adminPort));
      ServerProcess node = new ServerProcess(ServerProcess.freePort(), dataDir,
          List.of("--config", config.toString()))
          .withEnvironment(TestCluster.PASSWORD_ENV, PostgresServer.shared().password())
          .withEnvironment("POSSYNC_ADMIN_PORT", Integer.toString(adminPort))
          .withStartTimeout(Duration.ofSeconds(90));
      nodes.add(node);
      started.add(CompletableFuture.runAsync(() -> {
        try {
          node.start();
        } catch (Exception e) {
          throw new IllegalStateException(name + " did not start", e);
        }
      }));
    }
    CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).join();
  }
}
