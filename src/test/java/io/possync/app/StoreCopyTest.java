package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxRow;
import io.possync.store.OutboxTables;
import io.possync.store.SharedStoreAddress;
import io.possync.testing.Pos;
import io.possync.testing.PostgresServer;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import io.possync.testing.TestCluster;
import io.possync.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code possync store copy}: a shop's state moves from one box (SQLite) to a cluster's
 * PostgreSQL and back, and its terminals carry on through real nodes on each store as after a
 * restart: their {@code last} stays valid, their message_IDs and the order numbers continue, the
 * drafts are there in their order, the token still opens the way, the outbox keeps its entries.
 * A target that holds state, and a source or target in use, are refused.
 */
class StoreCopyTest {
  private static final String DB = "odoo";
  private static final String PASSWORD_ENV = "POSSYNC_TEST_COPY_PASSWORD";
  private static final String UPDATE = "/pos_multi_session_sync/update";
  private static final String POLL = "/longpolling/poll";

  @TempDir
  Path tmp;

  private final PostgresServer pg = PostgresServer.shared();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private Map<String, String> shop;

  /** What every node of the shop is configured with: tokens, and an Odoo that is away. */
  @BeforeEach
  void configureTheShop() throws Exception {
    Path pw = Files.writeString(tmp.resolve("odoo-password"), "secret\n");
    shop = Map.of("auth.mode", "token",
        "odoo.shop.url", "http://127.0.0.1:" + ServerProcess.freePort(),
        "odoo.shop.database", DB, "odoo.shop.login", "possync",
        "odoo.shop.password_file", pw.toString(),
        "outbox.retry_min", "1", "outbox.retry_max", "1", "odoo.connect_timeout", "1");
  }

  @Test
  void aShopMovesToAClusterAndBackAndItsTerminalsCarryOn() throws Exception {
    Path box = tmp.resolve("box");
    String secret;
    Seen seenOnTheBox;
    long counterOfTheBox;
    try (TestNode node = TestNode.start(sqlite(box))) {
      secret = node.issueToken(DB, 1);
      RpcClient bar = new RpcClient(tokenUri(node, secret));
      assertThat(register(bar, 1)).isPositive();
      assertThat(register(bar, 2)).isPositive();
      for (int i = 1; i <= 3; i++) {
        assertThat(createOrder(bar, 1, "00001-001-000" + i, i)).isEqualTo(i);
      }
      pay(bar, "00001-001-0003");
      await().atMost(Duration.ofSeconds(10)).until(() -> node.node().outboxStore()
          .list(DB, null, 10).stream().anyMatch(r -> r.attempts() > 0));
      seenOnTheBox = observe(bar);
      assertThat(seenOnTheBox.drafts()).containsExactly("00001-001-0001", "00001-001-0002");
      counterOfTheBox = node.node().bus().lastId();
    }
    Outbox outboxOfTheBox;
    try (OutboxTables outbox = OutboxTables.open(box)) {
      outbox.pause(new OutboxPause("elsewhere", "login refused", "fingerprint", 1234)).join();
      outboxOfTheBox = new Outbox(outbox.list(DB, null, 10), outbox.pauses());
    }
    assertThat(outboxOfTheBox.entries()).singleElement()
        .satisfies(e -> assertThat(e.lastError()).isNotNull());

    String cluster = pg.createDatabase("copy");
    assertThat(copy(box.toString(), cluster)).as("%s", err).isZero();
    Map<String, Long> copied = summary();
    assertThat(copied).containsEntry("multi_sessions", 1L).containsEntry("terminals", 2L)
        .containsEntry("orders", 3L).containsEntry("outbox", 1L)
        .containsEntry("outbox_pauses", 1L).containsEntry("tokens", 1L)
        .containsEntry("notification counter", counterOfTheBox);
    assertThat(copied.get("notifications")).isPositive();
    assertThat(outboxOf(cluster)).isEqualTo(outboxOfTheBox);

    Seen seenOnTheCluster;
    long counterOfTheCluster;
    try (TestNode node = TestNode.start(postgres(cluster), Clock.systemUTC(),
        Map.of(PASSWORD_ENV, pg.password()))) {
      RpcClient bar = new RpcClient(tokenUri(node, secret));
      carriesOn(bar, seenOnTheBox, counterOfTheBox, "00002-001-0001", 4);
      paysANewOrder(node, bar, "00002-001-0002", 5, 2);
      seenOnTheCluster = observe(bar);
      counterOfTheCluster = node.node().bus().lastId();
    }
    Outbox outboxOfTheCluster = outboxOf(cluster);

    Path back = tmp.resolve("back");
    assertThat(copy(cluster, back.toString())).as("%s", err).isZero();
    assertThat(summary()).containsEntry("multi_sessions", 1L).containsEntry("terminals", 2L)
        .containsEntry("orders", 5L).containsEntry("outbox", 2L)
        .containsEntry("notification counter", counterOfTheCluster);
    try (OutboxTables outbox = OutboxTables.open(back)) {
      assertThat(new Outbox(outbox.list(DB, null, 10), outbox.pauses()))
          .isEqualTo(outboxOfTheCluster);
    }
    try (TestNode node = TestNode.start(sqlite(back))) {
      RpcClient bar = new RpcClient(tokenUri(node, secret));
      carriesOn(bar, seenOnTheCluster, counterOfTheCluster, "00002-001-0003", 6);
      paysANewOrder(node, bar, "00002-001-0004", 7, 3);
    }
  }

  @Test
  void aTargetThatHoldsStateIsRefusedInEitherDirection() throws Exception {
    Path box = tmp.resolve("box");
    try (TestNode node = TestNode.start(sqlite(box))) {
      RpcClient bar = new RpcClient(tokenUri(node, node.issueToken(DB, 1)));
      register(bar, 1);
      createOrder(bar, 1, "00001-001-0001", 1);
    }
    String cluster = pg.createDatabase("copy");
    assertThat(copy(box.toString(), cluster)).as("%s", err).isZero();
    Map<String, Long> first = summary();

    assertThat(copy(box.toString(), cluster)).isEqualTo(1);
    assertThat(err.toString()).contains("already holds").contains("1 multi_sessions")
        .contains("1 orders").contains("1 tokens");
    assertThat(copy(cluster, box.toString())).isEqualTo(1);
    assertThat(err.toString()).contains(box.toString()).contains("already holds")
        .contains("1 multi_sessions");

    // Neither refused copy changed anything: both still hold exactly what the first copy moved.
    assertThat(copy(cluster, tmp.resolve("again").toString())).as("%s", err).isZero();
    assertThat(summary()).isEqualTo(first);
    assertThat(copy(box.toString(), pg.createDatabase("copy"))).as("%s", err).isZero();
    assertThat(summary()).isEqualTo(first);
  }

  @Test
  void aStoreInUseIsRefused() throws Exception {
    Path box = tmp.resolve("box");
    String cluster = pg.createDatabase("copy");
    try (TestNode node = TestNode.start(sqlite(box))) {
      register(new RpcClient(tokenUri(node, node.issueToken(DB, 1))), 1);
      assertThat(copy(box.toString(), cluster)).isEqualTo(1);
      assertThat(err.toString()).contains("in use by a running PosSync")
          .contains("would miss its last commits");
      assertThat(copy(cluster, box.toString())).as("into a running box").isEqualTo(1);
      assertThat(err.toString()).contains("in use by a running PosSync");
    }
    try (TestCluster running = TestCluster.start(1, shop)) {
      assertThat(copy(running.url(), tmp.resolve("elsewhere").toString())).isEqualTo(1);
      assertThat(err.toString()).contains("is connected").contains("node1");
      assertThat(copy(box.toString(), running.url())).as("into a running cluster").isEqualTo(1);
      assertThat(err.toString()).contains("is connected");
    }
    // Stopped, both can be copied.
    assertThat(copy(box.toString(), cluster)).as("%s", err).isZero();
    assertThat(summary()).containsEntry("multi_sessions", 1L);
  }

  @Test
  void aCommandLineThatCannotWorkIsRefusedBeforeTouchingAnything() {
    assertThat(run("store", "copy", "--from", tmp.resolve("a").toString())).isEqualTo(2);
    assertThat(run("store", "copy", "--from", tmp.resolve("a").toString(), "--to",
        "jdbc:postgresql://127.0.0.1:1/x", "--password-env", "POSSYNC_TEST_UNSET")).isEqualTo(2);
    assertThat(err.toString()).contains("POSSYNC_TEST_UNSET");
    assertThat(run("store", "copy", "--from", tmp.resolve("a").toString(), "--to",
        tmp.resolve("b").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("no PosSync database");
    assertThat(tmp.resolve("b")).as("no target is made for a source that is not there")
        .doesNotExist();
  }

  // --- the terminals -------------------------------------------------------------------------

  /** What terminal 1 has seen: its drafts in order, its last id and its last message_ID. */
  private record Seen(List<String> drafts, long last, long messageId) {}

  /** Terminal 1 resyncs (drafts in order) and polls everything it is owed, as a POS does. */
  private static Seen observe(RpcClient bar) throws Exception {
    JsonObject sync = update(bar, 1, Pos.syncAll(1, 1, true)).getAsJsonObject("data");
    long messageId = sync.get("message_ID").getAsLong();
    long last = 0;
    for (JsonElement n : poll(bar, 0)) {
      last = Math.max(last, n.getAsJsonObject().get("id").getAsLong());
      messageId = Math.max(messageId, messageIdOf(n));
    }
    return new Seen(uids(sync.getAsJsonArray("orders")), last, messageId);
  }

  /**
   * On a node started on the copy: terminal 2 creates an order, which gets the next number;
   * terminal 1, polling with the {@code last} it had, gets only what is new (ids above the old
   * counter), the order with the next message_ID; its resync lists the drafts it had, then the new
   * one.
   */
  private static void carriesOn(RpcClient bar, Seen before, long counterBefore, String uid,
      long orderNumber) throws Exception {
    assertThat(createOrder(bar, 2, uid, 1)).as("order numbers continue").isEqualTo(orderNumber);
    JsonArray news = poll(bar, before.last());
    assertThat(news).isNotEmpty();
    List<Long> ids = new ArrayList<>();
    JsonObject created = null;
    for (JsonElement n : news) {
      ids.add(n.getAsJsonObject().get("id").getAsLong());
      JsonObject message = n.getAsJsonObject().getAsJsonObject("message");
      if ("update_order".equals(message.get("action").getAsString())) {
        created = message;
      }
    }
    assertThat(ids).as("only new ids, above the old counter").allMatch(id -> id > counterBefore);
    assertThat(created).as("the new order reaches terminal 1: %s", news).isNotNull();
    assertThat(created.getAsJsonObject("data").get("uid").getAsString()).isEqualTo(uid);
    assertThat(created.getAsJsonObject("data").get("message_ID").getAsLong())
        .as("message_IDs continue").isEqualTo(before.messageId() + 1);
    List<String> drafts = new ArrayList<>(before.drafts());
    drafts.add(uid);
    JsonObject sync = update(bar, 1, Pos.syncAll(1, 1, true)).getAsJsonObject("data");
    assertThat(uids(sync.getAsJsonArray("orders"))).containsExactlyElementsOf(drafts);
  }

  /**
   * Terminal 2 creates an order that terminal 1 pays: the outbox queues it under a new id, above
   * the copied ones, while those keep theirs.
   */
  private static void paysANewOrder(TestNode node, RpcClient bar, String uid, long orderNumber,
      int entries) throws Exception {
    assertThat(createOrder(bar, 2, uid, 1)).isEqualTo(orderNumber);
    pay(bar, uid);
    List<OutboxRow> queued = node.node().outboxStore().list(DB, null, 10);
    assertThat(queued).extracting(OutboxRow::id).as("newest first, ids continue")
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, entries)
            .map(i -> entries + 1 - i).boxed().toList());
    assertThat(queued.get(0).uid()).isEqualTo(uid);
  }

  private static long register(RpcClient bar, long posId) throws Exception {
    return update(bar, posId, Pos.syncAll(posId, 1, true)).getAsJsonObject("data")
        .get("message_ID").getAsLong();
  }

  /** Creates an order from terminal {@code posId} and returns the number the server gave it. */
  private static long createOrder(RpcClient bar, long posId, String uid, long sequence)
      throws Exception {
    return update(bar, posId, Pos.updateOrder(posId, uid, sequence, 1, 1, "n" + uid, 1))
        .get("order_ID").getAsLong();
  }

  /** Terminal 1 pays an order: its removal carries the order for Odoo, queued in the outbox. */
  private static void pay(RpcClient bar, String uid) throws Exception {
    JsonObject removal = JsonParser.parseString("{\"action\":\"remove_order\",\"data\":{"
        + "\"uid\":\"" + uid + "\",\"revision_ID\":1,\"finalized\":true,\"run_ID\":1,"
        + "\"pos_id\":1,\"nonce\":\"p" + uid + "\"},\"session_id\":1,\"login_number\":1}")
        .getAsJsonObject();
    removal.getAsJsonObject("data").addProperty("order_data", "{\"id\":\"" + uid
        + "\",\"data\":{\"name\":\"Order " + uid + "\",\"uid\":\"" + uid + "\"}}");
    update(bar, 1, removal);
  }

  private static JsonObject update(RpcClient bar, long posId, JsonObject message)
      throws Exception {
    RpcClient.Answer a = bar.call(UPDATE, Pos.update(DB, 1, posId, message));
    assertThat(a.isError()).as("%s", a.body()).isFalse();
    return a.result().getAsJsonObject();
  }

  private static JsonArray poll(RpcClient bar, long last) throws Exception {
    RpcClient.Answer a = bar.call(POLL, Pos.poll(DB, 1, last));
    assertThat(a.isError()).as("%s", a.body()).isFalse();
    return a.result().getAsJsonArray();
  }

  private static long messageIdOf(JsonElement notification) {
    JsonElement message = notification.getAsJsonObject().get("message");
    if (!message.isJsonObject() || !message.getAsJsonObject().has("data")) {
      return 0;
    }
    JsonElement id = message.getAsJsonObject().getAsJsonObject("data").get("message_ID");
    return id == null ? 0 : id.getAsLong();
  }

  private static List<String> uids(JsonArray orders) {
    List<String> out = new ArrayList<>();
    for (JsonElement o : orders) {
      out.add(o.getAsJsonObject().getAsJsonObject("data").get("uid").getAsString());
    }
    return out;
  }

  // --- the stores ----------------------------------------------------------------------------

  private record Outbox(List<OutboxRow> entries, List<OutboxPause> pauses) {}

  /** The outbox of a cluster's database, read with no node running (closed before returning). */
  private Outbox outboxOf(String url) {
    try (OutboxTables outbox = OutboxTables.open(
        new SharedStoreAddress(url, pg.user(), pg.password()))) {
      return new Outbox(outbox.list(DB, null, 10), outbox.pauses());
    }
  }

  private Map<String, String> sqlite(Path dataDir) {
    Map<String, String> settings = new HashMap<>(shop);
    settings.put("store.data_dir", dataDir.toString());
    return settings;
  }

  private Map<String, String> postgres(String url) {
    Map<String, String> settings = new HashMap<>(shop);
    settings.put("store.kind", "postgresql");
    settings.put("store.url", url);
    settings.put("store.user", pg.user());
    settings.put("store.password_env", PASSWORD_ENV);
    settings.put("store.pool_size", "4");
    settings.put("cluster.node_name", "moved");
    return settings;
  }

  private static URI tokenUri(TestNode node, String secret) {
    return URI.create(node.baseUri() + "/t/" + secret);
  }

  // --- the command ---------------------------------------------------------------------------

  private int copy(String from, String to) {
    return run("store", "copy", "--from", from, "--to", to, "--user", pg.user(),
        "--password-env", PASSWORD_ENV);
  }

  private static final Pattern SUMMARY_LINE = Pattern.compile("^  (\\S.*?)\\s+(\\d+)",
      Pattern.MULTILINE);

  /** The counts the last copy printed, by table (and "notification counter"). */
  private Map<String, Long> summary() {
    Map<String, Long> counts = new LinkedHashMap<>();
    Matcher m = SUMMARY_LINE.matcher(out.toString());
    while (m.find()) {
      counts.put(m.group(1), Long.parseLong(m.group(2)));
    }
    return counts;
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    CommandLine cmd = Main.commandLine();
    StoreCommand store = cmd.getSubcommands().get("store").getCommand();
    store.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    store.err = new PrintStream(err, true, StandardCharsets.UTF_8);
    store.env = Map.of(PASSWORD_ENV, pg.password());
    cmd.setErr(new java.io.PrintWriter(store.err, true));
    return cmd.execute(args);
  }
}
