package io.possync.odoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.possync.outbox.OutboxRow;
import io.possync.outbox.OutboxState;
import io.possync.store.OutboxTables;
import io.possync.terminal.OrderEditor;
import io.possync.terminal.TerminalConfig;
import io.possync.terminal.TerminalRuntime;
import io.possync.terminal.Timing;
import io.possync.terminal.VirtualTerminal;
import io.possync.testing.ServerProcess;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole way of an order paid while Odoo was out of reach: a terminal pays it offline and hands
 * it to PosSync, the terminal goes away, PosSync is killed with SIGKILL and restarted, and when
 * Odoo comes back exactly one create_from_ui for that order reaches it.
 */
class PaidOfflineOrderSurvivesEverythingTest {
  @TempDir
  Path tmp;

  @Test
  void exactlyOneCreateFromUiReachesOdooAfterCrashAndOutage() throws Exception {
    int odooPort;
    try (OdooStub probe = new OdooStub()) {
      odooPort = probe.port(); // Odoo is down: nothing listens here yet
    }
    Path dataDir = Files.createDirectories(tmp.resolve("data"));
    Path password = Files.writeString(tmp.resolve("odoo.pw"), OdooStub.PASSWORD + "\n");
    Path config = Files.writeString(tmp.resolve("possync.properties"), String.join("\n",
        "odoo.shop.url = http://127.0.0.1:" + odooPort,
        "odoo.shop.database = " + OdooStub.DB,
        "odoo.shop.login = " + OdooStub.LOGIN,
        "odoo.shop.password_file = " + password,
        "outbox.retry_min = 1",
        "outbox.retry_max = 1",
        "odoo.connect_timeout = 1", ""));
    int port = ServerProcess.freePort();
    String uid;
    try (ServerProcess server = new ServerProcess(port, dataDir, List.of("--config",
        config.toString())).start();
        TerminalRuntime runtime = new TerminalRuntime(2)) {
      VirtualTerminal bar = runtime.terminal(TerminalConfig.of(server.baseUri(), OdooStub.DB, 1,
          21, 5, 21).withTiming(Timing.fast()));
      bar.start().get();
      // Its first online sync_all could otherwise remove the order (VirtualTerminal#isSettled).
      await().atMost(Duration.ofSeconds(10)).until(bar::isSettled);
      uid = bar.newOrder();
      bar.edit(uid, (OrderEditor o) -> o.addProduct(31, new BigDecimal("4.80")));
      await().atMost(Duration.ofSeconds(10))
          .until(() -> bar.order(uid).map(v -> v.onServer()).orElse(false) && bar.isIdle());

      // The shop's line goes down: the bar pays the order and cannot push it to Odoo.
      bar.goOffline();
      bar.payOrder(uid);
      assertThat(bar.paidOrdersPending()).containsExactly(uid);
      // The line comes back to PosSync (on the LAN); Odoo (in the cloud) is still down.
      bar.goOnline();
      await().atMost(Duration.ofSeconds(15)).until(() -> entry(dataDir, uid)
          .map(r -> r.attempts() >= 1).orElse(false));
      bar.close(); // the terminal goes away for good

      server.kill(); // SIGKILL
      server.start();

      try (OdooStub odoo = new OdooStub(odooPort).healthy(12)) {
        odoo.creates("Order " + uid, 314, 12);
        await().atMost(Duration.ofSeconds(20)).until(() -> entry(dataDir, uid)
            .map(r -> r.state() == OutboxState.DONE).orElse(false));
        // The server runs in its own process: watch it through two more worker passes, in
        // which nothing may be sent again.
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5))
            .until(() -> odoo.createCalls().size() == 1);
        assertThat(odoo.createCalls("Order " + uid)).hasSize(1);
        assertThat(odoo.createCalls()).hasSize(1);
        assertThat(entry(dataDir, uid).orElseThrow().odooOrderId()).isEqualTo(314);
      }
    }
  }

  private static Optional<OutboxRow> entry(Path dataDir, String uid) {
    try (OutboxTables admin = OutboxTables.open(dataDir)) {
      return admin.list(OdooStub.DB, null, 100).stream().filter(r -> r.uid().equals(uid))
          .findFirst();
    }
  }
}
