package io.possync.e2e;

import static io.possync.e2e.Product.DESK_PAD;
import static io.possync.e2e.Product.FLIPOVER;
import static io.possync.e2e.Product.LED_LAMP;
import static io.possync.e2e.Product.OFFICE_CHAIR;
import static io.possync.e2e.Product.WHITEBOARD_PEN;
import static io.possync.e2e.Shop.assertCleanRun;
import static io.possync.e2e.Shop.eventually;
import static io.possync.e2e.Shop.fill;
import static io.possync.e2e.Shop.goneEverywhere;
import static io.possync.e2e.Shop.items;
import static io.possync.e2e.Shop.sameOrderEverywhere;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.possync.terminal.OrderView.Summary;
import io.possync.terminal.VirtualTerminal;
import io.possync.testing.RpcClient;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How PosSync is deployed: behind a path prefix, and one server for several Odoo databases. */
class DeploymentScenariosTest {

  /** Overridden by the variant that restarts the server between the scenario's steps. */
  Shop.Restarts restarts() {
    return Shop.Restarts.NEVER;
  }

  /** Overridden by the variant that runs the scenarios on a cluster. */
  Shop.Topology topology() {
    return Shop.Topology.ONE_NODE;
  }

  /**
   * {@code sync_server = //host:port/possync} (or a reverse proxy path on the Odoo origin): the POS
   * appends its routes to it (docs/protocol.md §1), and only the prefixed routes exist.
   */
  @Test
  void terminalsBehindAPathPrefixSyncAndTheBareRoutesAnswer404() throws Exception {
    try (Shop shop = Shop.open(Map.of("http.path_prefix", "/possync"), restarts(),
        topology())) {
      URI prefixed = URI.create("http://127.0.0.1:" + shop.node().port() + "/possync");
      URI bare = URI.create("http://127.0.0.1:" + shop.node().port());
      VirtualTerminal admin = shop.terminal(shop.config(1).withSyncServer(prefixed));
      VirtualTerminal demo = shop.terminal(shop.config(2).withSyncServer(prefixed));

      String order = admin.newOrder();
      fill(admin, order, LED_LAMP, DESK_PAD);
      assertThat(sameOrderEverywhere(order, admin, demo).summary())
          .isEqualTo(new Summary(1, items(LED_LAMP, DESK_PAD)));
      assertCleanRun(admin, demo);

      RpcClient client = new RpcClient(bare);
      String ping = "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"odoo12\"}";
      String poll = "{\"channels\":[\"[\\\"odoo12\\\",\\\"pos.longpolling\\\",\\\"1\\\"]\"],"
          + "\"last\":0,\"options\":{}}";
      String sync = "{\"multi_session_id\":1,\"dbname\":\"odoo12\",\"user_ID\":101,\"message\":"
          + "{\"action\":\"sync_all\",\"data\":{\"run_ID\":1,\"pos_id\":1,\"nonce\":\"a1b2c\"},"
          + "\"immediate_rerendering\":true,\"session_id\":1,\"login_number\":1}}";
      for (String[] call : List.of(new String[] {"/pos_longpolling/update", ping},
          new String[] {"/longpolling/poll", poll},
          new String[] {"/pos_multi_session_sync/update", sync})) {
        RpcClient.Answer answer = client.call(call[0], JsonParser.parseString(call[1]));
        assertThat(answer.status()).as(call[0]).isEqualTo(404);
        assertThat(answer.error().get("code").getAsInt()).as(call[0]).isEqualTo(404);
      }

      // A POS configured without the prefix never gets past loading: every call is a 404,
      // which the POS reads as "offline" (§2.5).
      VirtualTerminal lost = shop.unstarted(shop.config(3).withSyncServer(bare));
      lost.start();
      eventually().until(() -> lost.stats().requestsFailed() >= 3);
      assertThat(lost.isLoaded()).isFalse();
      assertThat(lost.isClientOnline()).isFalse();
      assertThat(shop.status().terminals()).isEqualTo(2);
    }
  }

  /**
   * Two Odoo databases share one PosSync with the same multi-session id, the same POS ids and the
   * same POS session ids, so even their order uids are identical. Neither sees the other's orders
   * (decision D1).
   */
  @Test
  void twoDatabasesOnOneServerNeverSeeEachOthersOrders() throws Exception {
    try (Shop shop = Shop.open(Map.of(), restarts(), topology())) {
      VirtualTerminal a1 = shop.terminal(shop.config(1).withDbname("shop_a"));
      VirtualTerminal a2 = shop.terminal(shop.config(2).withDbname("shop_a"));
      VirtualTerminal b1 = shop.terminal(shop.config(1).withDbname("shop_b"));
      VirtualTerminal b2 = shop.terminal(shop.config(2).withDbname("shop_b"));

      String inA = a1.newOrder();
      String inB = b1.newOrder();
      assertThat(inA).isEqualTo(inB);
      fill(a1, inA, LED_LAMP);
      fill(b1, inB, FLIPOVER, OFFICE_CHAIR);
      assertThat(sameOrderEverywhere(inA, a1, a2).summary())
          .isEqualTo(new Summary(1, items(LED_LAMP)));
      assertThat(sameOrderEverywhere(inB, b1, b2).summary())
          .isEqualTo(new Summary(1, items(FLIPOVER, OFFICE_CHAIR)));

      // Removing it in one database leaves the other's alone: it can still be changed there.
      a2.removeOrder(inA);
      goneEverywhere(inA, a1, a2);
      fill(b2, inB, WHITEBOARD_PEN);
      assertThat(sameOrderEverywhere(inB, b1, b2).summary())
          .isEqualTo(new Summary(1, items(FLIPOVER, OFFICE_CHAIR, WHITEBOARD_PEN)));
      String secondInA = a2.newOrder();
      fill(a2, secondInA, DESK_PAD);
      assertThat(sameOrderEverywhere(secondInA, a1, a2).summary())
          .isEqualTo(new Summary(2, items(DESK_PAD)));

      assertThat(a1.orders().keySet()).containsExactly(secondInA);
      assertThat(b1.orders().keySet()).containsExactly(inB);
      assertThat(b2.orders().keySet()).containsExactly(inB);
      assertThat(shop.status("shop_a").drafts()).isEqualTo(1);
      assertThat(shop.status("shop_a").orderId()).isEqualTo(2);
      assertThat(shop.status("shop_b").drafts()).isEqualTo(1);
      assertThat(shop.status("shop_b").orderId()).isEqualTo(1);
      // A message from the other database would break a terminal's message_ID sequence.
      assertCleanRun(a1, a2, b1, b2);
    }
  }
}
