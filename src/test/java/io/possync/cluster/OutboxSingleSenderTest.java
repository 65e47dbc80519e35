package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three healthy nodes share one database's outbox, and every node runs a delivery pass each
 * second; yet only the lease holder talks to Odoo: every call on {@code pos.order} comes from it
 * (the stand-in Odoo tells nodes apart by the path prefix each is configured with), the lease
 * stays with it while orders flow, and each order is created once, in the order paid.
 */
class OutboxSingleSenderTest {
  private static final String DB = StatefulOdooStub.DB;

  @TempDir
  Path tmp;

  private StatefulOdooStub odoo;
  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (odoo != null) {
      odoo.close();
    }
  }

  @Test
  void onlyTheLeaseHolderSendsToOdooWhileOrdersArriveOnEveryNode() throws Exception {
    odoo = new StatefulOdooStub(300); // each create spans part of a pass of the other nodes
    List<String> uids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      uids.add("00012-001-000" + (i + 1));
      odoo.accepts("Order " + uids.get(i), 600 + i, 11, 3.0 + i);
    }
    Path password = Files.writeString(tmp.resolve("odoo.pw"), StatefulOdooStub.PASSWORD + "\n");
    cluster = TestCluster.start(3, i -> odoo.settings("node" + (i + 1), password));
    SharedOutbox shared = new SharedOutbox(cluster.url());
    await().atMost(Duration.ofSeconds(15)).until(() -> shared.holder(DB) != null);
    String holder = shared.holder(DB);

    Set<String> holdersSeen = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < uids.size(); i++) {
      // Each order reaches another node, as terminals behind a load balancer would.
      RpcClient terminal = new RpcClient(cluster.node(i % 3).baseUri());
      RpcClient.Answer a = terminal.call("/pos_multi_session_sync/update",
          SharedOutbox.paidOffline(DB, uids.get(i), 3.0 + i));
      assertThat(a.isError()).as("%s", a.body()).isFalse();
      holdersSeen.add(shared.holder(DB));
    }
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
      holdersSeen.add(shared.holder(DB));
      return shared.deliveries(DB).stream().allMatch(e -> e.state().equals("done"));
    });
    int sent = odoo.creates().size();
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(10)).until(() -> {
      holdersSeen.add(shared.holder(DB));
      return odoo.creates().size() == sent;
    });

    assertThat(holdersSeen).as("the lease never moved").containsExactly(holder);
    for (int i = 0; i < 3; i++) {
      assertThat(SharedOutbox.holderShownBy(cluster.node(i).adminUri(), DB))
          .as("/api/status of node%d", i + 1).isEqualTo(holder);
    }
    assertThat(odoo.orderCalls()).as("calls on pos.order").isNotEmpty()
        .allSatisfy(r -> assertThat(StatefulOdooStub.sender(r)).isEqualTo(holder));
    assertThat(odoo.creates()).extracting(r -> paidOrderIn(r, uids))
        .as("each order created once, in the order paid").containsExactlyElementsOf(uids);
    assertThat(shared.deliveries(DB)).extracting(SharedOutbox.Entry::odooOrderId)
        .containsExactly(600, 601, 602, 603, 604, 605);
  }

  /** Which of the paid orders a create_from_ui carries (its name is "Order " and the uid). */
  private static String paidOrderIn(LoggedRequest create, List<String> uids) {
    String body = create.getBodyAsString();
    return uids.stream().filter(u -> body.contains(">Order " + u + "<")).findFirst()
        .orElse(null);
  }
}
