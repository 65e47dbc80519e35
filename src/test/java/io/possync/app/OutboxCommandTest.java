package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.outbox.OutboxState;
import io.possync.store.OutboxTables;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import io.possync.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code possync outbox list|retry|drop|resume} on a data directory with real entries. */
class OutboxCommandTest {
  @TempDir
  Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void anOperatorSeesWhatWaitsAndWhyAndCanRetryOrDropIt() throws Exception {
    Path data = tmp.resolve("data");
    Path pw = Files.writeString(tmp.resolve("pw"), "secret\n");
    int closedPort = ServerProcess.freePort(); // Odoo is unreachable
    try (TestNode node = TestNode.start(Map.of("store.data_dir", data.toString(),
        "odoo.shop.url", "http://127.0.0.1:" + closedPort, "odoo.shop.database", "odoo",
        "odoo.shop.login", "possync", "odoo.shop.password_file", pw.toString(),
        "outbox.retry_min", "1", "outbox.retry_max", "1", "odoo.connect_timeout", "1"))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      rpc.call("/pos_multi_session_sync/update", Pos.update("odoo", 1, 1, Pos.syncAll(3, 1, false)));
      for (String uid : new String[] {"00003-001-0001", "00003-001-0002"}) {
        JsonObject removal = JsonParser.parseString("{\"action\":\"remove_order\",\"data\":{"
            + "\"uid\":\"" + uid + "\",\"revision_ID\":1,\"finalized\":true,\"run_ID\":1,"
            + "\"pos_id\":3,\"nonce\":\"n" + uid + "\"},\"session_id\":3,\"login_number\":1}")
            .getAsJsonObject();
        removal.getAsJsonObject("data").addProperty("order_data", "{\"id\":\"" + uid
            + "\",\"data\":{\"name\":\"Order " + uid + "\",\"uid\":\"" + uid + "\"}}");
        rpc.call("/pos_multi_session_sync/update", Pos.update("odoo", 1, 1, removal));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> node.node().outboxStore()
          .list("odoo", null, 10).stream().anyMatch(r -> r.attempts() > 0));
    }

    assertThat(run("outbox", "--data-dir", data.toString(), "list")).isZero();
    assertThat(out.toString()).contains("00003-001-0001").contains("Order 00003-001-0002")
        .contains("pending").contains("cannot connect");

    // The data directory named after the subcommand (inherited option), and --json for scripts.
    assertThat(run("outbox", "list", "--json", "--data-dir", data.toString())).isZero();
    JsonObject listed = JsonParser.parseString(out.toString()).getAsJsonObject();
    assertThat(listed.getAsJsonArray("paused")).isEmpty();
    assertThat(listed.getAsJsonArray("entries")).hasSize(2);
    JsonObject entry = listed.getAsJsonArray("entries").get(1).getAsJsonObject();
    assertThat(entry.keySet()).containsExactly("id", "dbname", "uid", "kind", "pos_reference",
        "state", "attempts", "last_error", "odoo_order_id", "created_at", "updated_at",
        "next_attempt_at");
    assertThat(entry.get("uid").getAsString()).isEqualTo("00003-001-0001");
    assertThat(entry.get("state").getAsString()).isEqualTo("pending");
    assertThat(entry.get("pos_reference").getAsString()).isEqualTo("Order 00003-001-0001");
    assertThat(entry.get("last_error").getAsString()).contains("cannot connect");
    long first;
    try (OutboxTables admin = OutboxTables.open(data)) {
      first = admin.list("odoo", null, 10).stream().filter(r -> r.uid().endsWith("0001"))
          .findFirst().orElseThrow().id();
    }

    assertThat(run("outbox", "--data-dir", data.toString(), "drop", Long.toString(first)))
        .isZero();
    assertThat(run("outbox", "--data-dir", data.toString(), "list", "--state", "dropped"))
        .isZero();
    assertThat(out.toString()).contains("00003-001-0001").doesNotContain("00003-001-0002");
    assertThat(run("outbox", "--data-dir", data.toString(), "retry", Long.toString(first)))
        .as("a dropped entry is not retried").isEqualTo(1);
    assertThat(run("outbox", "--data-dir", data.toString(), "retry", Long.toString(first + 1)))
        .isZero();
    try (OutboxTables admin = OutboxTables.open(data)) {
      assertThat(admin.list("odoo", OutboxState.PENDING, 10)).singleElement()
          .satisfies(r -> assertThat(r.nextAttemptAt()).isZero());
    }
    assertThat(run("outbox", "--data-dir", data.toString(), "resume", "--db", "odoo"))
        .as("it was not paused").isEqualTo(1);
    assertThat(run("outbox", "--data-dir", tmp.resolve("nowhere").toString(), "list"))
        .isEqualTo(1);
    assertThat(err.toString()).contains("no PosSync database");
    assertThat(run("outbox", "--data-dir", data.toString(), "retry")).isEqualTo(2);
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    CommandLine cmd = Main.commandLine();
    OutboxCommand outbox = cmd.getSubcommands().get("outbox").getCommand();
    outbox.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    outbox.err = new PrintStream(err, true, StandardCharsets.UTF_8);
    return cmd.execute(args);
  }
}
