package io.possync.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionStatus;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed requests over real HTTP (docs/protocol.md §2.4–2.5, D10): each gets Odoo's JSON-RPC error
 * envelope with {@code Access-Control-Allow-Origin}, the server keeps serving, and nothing changes:
 * the orders, counters and terminals of a busy multi-session are exactly as before and no
 * notification went out.
 */
class BadInputTest {
  private static final String UPDATE = PosSyncServer.UPDATE_PATH;
  private static final String POLL = PosSyncServer.POLL_PATH;
  private static final String PING = PosSyncServer.PING_PATH;
  private static final String ORIGIN = "https://odoo.example.com";
  private static final String TWO_TO_THE_80 = "1208925819614629174706176";

  private static final String INVALID_PARAMS = "possync.exceptions.InvalidParams";
  private static final String BAD_REQUEST = "werkzeug.exceptions.BadRequest";

  /** The busy multi-session every bad request is aimed at: database "shop", id 7, run 1. */
  private static final MultiSessionKey SHOP = new MultiSessionKey("shop", 7);

  private static TestNode node;
  private static RpcClient rpc;
  private static HttpClient http;

  @BeforeAll
  static void startServerWithABusyMultiSession() throws Exception {
    node = TestNode.start(Map.of("http.max_body_bytes", "8388608", "http.max_json_depth", "128"));
    rpc = new RpcClient(node.baseUri());
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    // Three terminals register; the observer (pos 9) only ever takes snapshots.
    for (int pos : new int[] {1, 2, 9}) {
      assertThat(update(pos, """
          {"action":"sync_all","data":{"run_ID":1,"pos_id":%d,"nonce":"reg-%d"},
           "immediate_rerendering":true,"session_id":%d,"login_number":1}
          """.formatted(pos, pos, 10 + pos)).result().getAsJsonObject().get("action").getAsString())
          .isEqualTo("sync_all");
    }
    // Order A: created by pos 1, then changed once (revision 2).
    assertThat(update(1, newOrder("00011-001-0001", 1, "first")).result().toString())
        .contains("\"action\":\"update_revision_ID\"", "\"revision_ID\":1", "\"order_ID\":1");
    assertThat(update(1, changedOrder("00011-001-0001", 1, 1, "a-2")).result().toString())
        .contains("\"revision_ID\":2");
    // Order B: created by pos 2.
    assertThat(update(2, newOrder("00012-001-0001", 2, "b-1")).result().toString())
        .contains("\"order_ID\":2");
    // Order C: created by pos 2 and removed again (a tombstone).
    assertThat(update(2, newOrder("00012-001-0002", 3, "c-1")).result().toString())
        .contains("\"order_ID\":3");
    assertThat(update(2, """
        {"action":"remove_order","data":{"uid":"00012-001-0002","revision_ID":1,"finalized":false,
         "run_ID":1,"pos_id":2,"nonce":"c-rm"},"session_id":12,"login_number":1}
        """).result().toString()).isEqualTo("{\"order_ID\":3}");

    assertThat(node.node().pipeline().status(SHOP))
        .contains(new MultiSessionStatus(1, 3, 3, 2, 3));
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  // --- the catalogue of bad requests ------------------------------------------------------

  /** One malformed request and the error it must get. */
  record BadCase(String name, String method, String path, byte[] body, int status, String errorName,
      String detail, boolean echoesId) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<BadCase> badRequests() {
    return Stream.of(
        // The body is not a JSON-RPC object: werkzeug's BadRequest, HTTP 400 (§2.4).
        http400("not JSON", UPDATE, "{\"jsonrpc\":\"2.0\",\"params\":", "not valid JSON"),
        http400("a JSON array", UPDATE, "[{\"jsonrpc\":\"2.0\",\"params\":{}}]", "JSON-RPC object"),
        http400("a JSON string", UPDATE, "\"call\"", "JSON-RPC object"),
        http400("an empty body", UPDATE, "", "not valid JSON"),
        http400("two JSON objects", UPDATE, "{\"params\":{}} {\"params\":{}}", "not valid JSON"),
        http400("JSON nested 10,000 deep", UPDATE, deeplyNested(10_000), "nested deeper than 128"),
        new BadCase("invalid UTF-8", "POST", UPDATE, invalidUtf8(), 400, BAD_REQUEST, "UTF-8", false),
        new BadCase("a 10 MB body", "POST", UPDATE, tenMegabytes(), 413,
            "werkzeug.exceptions.RequestEntityTooLarge", "larger than 8388608 bytes", false),
        new BadCase("GET instead of POST", "GET", UPDATE, new byte[0], 405,
            "werkzeug.exceptions.MethodNotAllowed", "Only POST", false),
        new BadCase("PUT instead of POST", "PUT", POLL, bytes(call(pollParams("[]", "0"))), 405,
            "werkzeug.exceptions.MethodNotAllowed", "Only POST", false),
        new BadCase("an unknown path", "POST", "/longpolling/send",
            bytes(call("{\"channel\":\"x\",\"message\":\"y\"}")), 404,
            "werkzeug.exceptions.NotFound", "404 Not Found", true),
        // The id is read before params are checked, so even this answer echoes it.
        new BadCase("params as an array", "POST", UPDATE, bytes(call("[1,2]")), 200, INVALID_PARAMS,
            "params must be an object", true),

        // /pos_multi_session_sync/update: missing parameters.
        invalid("update without multi_session_id", UPDATE,
            "{\"message\":" + syncAll(1) + ",\"dbname\":\"shop\",\"user_ID\":1}",
            "missing parameter 'multi_session_id'"),
        invalid("update without message", UPDATE,
            "{\"multi_session_id\":7,\"dbname\":\"shop\",\"user_ID\":1}",
            "missing parameter 'message'"),
        invalid("update without dbname", UPDATE,
            "{\"multi_session_id\":7,\"message\":" + syncAll(1) + ",\"user_ID\":1}",
            "missing parameter 'dbname'"),
        invalid("update without user_ID", UPDATE,
            "{\"multi_session_id\":7,\"message\":" + syncAll(1) + ",\"dbname\":\"shop\"}",
            "missing parameter 'user_ID'"),

        // Wrong types.
        invalid("multi_session_id \"abc\"", UPDATE,
            updateParams("\"abc\"", "\"shop\"", "1", syncAll(1)), "'multi_session_id' must be an integer"),
        invalid("multi_session_id 7.5", UPDATE,
            updateParams("7.5", "\"shop\"", "1", syncAll(1)), "'multi_session_id' must be an integer"),
        invalid("user_ID \"abc\"", UPDATE,
            updateParams("7", "\"shop\"", "\"abc\"", syncAll(1)), "'user_ID' must be an integer"),
        invalid("user_ID an object", UPDATE,
            updateParams("7", "\"shop\"", "{\"id\":1}", syncAll(1)), "'user_ID' must be an integer"),
        invalid("dbname an object", UPDATE,
            updateParams("7", "{\"db\":\"shop\"}", "1", syncAll(1)), "'dbname' must be a string"),
        invalid("dbname of 64 bytes", UPDATE,
            updateParams("7", "\"" + "\u00e9".repeat(32) + "\"", "1", syncAll(1)),
            "'dbname' must be a database name of 1 to 63 bytes"),
        invalid("dbname empty", UPDATE, updateParams("7", "\"\"", "1", syncAll(1)),
            "'dbname' must be a database name of 1 to 63 bytes"),
        invalid("dbname a number", UPDATE,
            updateParams("7", "42", "1", syncAll(1)), "'dbname' must be a string"),
        invalid("message an array", UPDATE,
            updateParams("7", "\"shop\"", "1", "[" + syncAll(1) + "]"), "'message' must be an object"),
        invalid("message a string", UPDATE,
            updateParams("7", "\"shop\"", "1", "\"sync_all\""), "'message' must be an object"),
        invalid("message.data missing", UPDATE,
            shopParams("{\"action\":\"update_order\",\"session_id\":11,\"login_number\":1}"),
            "message.data must be an object"),
        invalid("message.data a string", UPDATE,
            shopParams("{\"action\":\"update_order\",\"data\":\"{}\",\"session_id\":11}"),
            "message.data must be an object"),
        invalid("message.action missing", UPDATE,
            shopParams("{\"data\":{\"run_ID\":2,\"pos_id\":1,\"uid\":\"x\"},\"session_id\":11}"),
            "message.action must be a string"),
        invalid("message.action a number", UPDATE,
            shopParams("{\"action\":3,\"data\":{\"run_ID\":2,\"pos_id\":1},\"session_id\":11}"),
            "message.action must be a string"),
        // Each of the next messages carries run_ID 2: had the run rule run before validation,
        // the drafts of run 1 would now be unpaid and the numbering reset.
        invalid("update_order without data.uid", UPDATE, shopParams("""
            {"action":"update_order","data":{"run_ID":2,"pos_id":1,"revision_ID":1,"nonce":"n1",
             "lines":[]},"session_id":11,"login_number":1}"""), "message.data.uid must be a string"),
        invalid("update_order with revision_ID \"abc\"", UPDATE, shopParams("""
            {"action":"update_order","data":{"uid":"00011-001-0001","run_ID":2,"pos_id":1,
             "revision_ID":"abc","nonce":"n2","lines":[]},"session_id":11,"login_number":1}"""),
            "message.data.revision_ID must be an integer"),
        invalid("remove_order with revision_ID \"abc\"", UPDATE, shopParams("""
            {"action":"remove_order","data":{"uid":"00011-001-0001","run_ID":2,"pos_id":1,
             "revision_ID":"abc","finalized":false,"nonce":"n3"},"session_id":11,"login_number":1}"""),
            "message.data.revision_ID must be an integer"),
        invalid("remove_order with order_data that is not JSON", UPDATE, shopParams("""
            {"action":"remove_order","data":{"uid":"00011-001-0009","run_ID":2,"pos_id":1,
             "revision_ID":1,"finalized":true,"nonce":"n4","order_data":"{\\"id\\":"},
             "session_id":11,"login_number":1}"""), "order_data is not valid JSON"),
        invalid("sync_all without data.pos_id", UPDATE, shopParams("""
            {"action":"sync_all","data":{"run_ID":2,"nonce":"n5"},"immediate_rerendering":true,
             "session_id":11,"login_number":1}"""), "message.data.pos_id must be an integer"),
        invalid("sync_all with data.pos_id \"one\"", UPDATE, shopParams("""
            {"action":"sync_all","data":{"run_ID":2,"pos_id":"one","nonce":"n6"},
             "session_id":11,"login_number":1}"""), "message.data.pos_id must be an integer"),
        invalid("run_ID an object", UPDATE, shopParams("""
            {"action":"update_order","data":{"uid":"00011-001-0001","run_ID":{"id":2},"pos_id":1,
             "revision_ID":2,"nonce":"n7","lines":[]},"session_id":11,"login_number":1}"""),
            "message.data.run_ID must be an integer"),

        // Numbers of 2^80 where the server keeps an id.
        invalid("multi_session_id 2^80", UPDATE,
            updateParams(TWO_TO_THE_80, "\"shop\"", "1", syncAll(1)),
            "'multi_session_id' must be an integer below 2^53"),
        invalid("user_ID 2^80", UPDATE,
            updateParams("7", "\"shop\"", TWO_TO_THE_80, syncAll(1)),
            "'user_ID' must be an integer below 2^53"),
        invalid("data.pos_id 2^80", UPDATE, shopParams("""
            {"action":"sync_all","data":{"run_ID":1,"pos_id":%s,"nonce":"n8"},
             "session_id":11,"login_number":1}""".formatted(TWO_TO_THE_80)),
            "message.data.pos_id is out of range"),
        invalid("data.run_ID 2^80", UPDATE, shopParams("""
            {"action":"update_order","data":{"uid":"00011-001-0001","run_ID":%s,"pos_id":1,
             "revision_ID":2,"nonce":"n9","lines":[]},"session_id":11,"login_number":1}"""
            .formatted(TWO_TO_THE_80)), "message.data.run_ID is out of range"),

        // /longpolling/poll.
        invalid("poll without channels", POLL, "{\"last\":0,\"options\":{}}",
            "parameter 'channels' must be an array"),
        invalid("poll with channels a string", POLL,
            pollParams("\"[\\\"shop\\\",\\\"pos.multi_session\\\",\\\"1\\\"]\"", "0"),
            "parameter 'channels' must be an array"),
        invalid("poll without last", POLL,
            "{\"channels\":[\"[\\\"shop\\\",\\\"pos.multi_session\\\",\\\"1\\\"]\"],\"options\":{}}",
            "missing parameter 'last'"),
        invalid("poll with last \"abc\"", POLL, pollParams(shopChannels(1), "\"abc\""),
            "'last' must be an integer"),
        invalid("poll with last 2^80", POLL, pollParams(shopChannels(1), TWO_TO_THE_80),
            "'last' must be an integer below 2^53"),

        // /pos_longpolling/update (PING): no PONG may go out.
        invalid("ping without db_name", PING, "{\"message\":\"PING\",\"pos_id\":1}",
            "missing parameter 'db_name'"),
        invalid("ping without pos_id", PING, "{\"message\":\"PING\",\"db_name\":\"shop\"}",
            "missing parameter 'pos_id'"),
        invalid("ping with db_name an object", PING,
            "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":{\"db\":\"shop\"}}",
            "'db_name' must be a string"),
        invalid("ping with a db_name of 64 bytes", PING,
            "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"" + "d".repeat(64) + "\"}",
            "'db_name' must be a database name of 1 to 63 bytes"),
        invalid("ping with pos_id 2^80", PING,
            "{\"message\":\"PING\",\"pos_id\":" + TWO_TO_THE_80 + ",\"db_name\":\"shop\"}",
            "'pos_id' must be an integer below 2^53"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badRequestGetsAnOdooErrorAndChangesNothing(BadCase c) throws Exception {
    Snapshot before = snapshot();

    Raw answer = send(c.method(), c.path(), c.body());

    assertThat(answer.status()).as("HTTP status").isEqualTo(c.status());
    assertThat(answer.header("Content-Type")).contains("application/json");
    assertThat(answer.header("Access-Control-Allow-Origin")).contains("*");
    JsonObject body = answer.json();
    assertThat(body.get("jsonrpc").getAsString()).isEqualTo("2.0");
    assertThat(body.has("result")).isFalse();
    JsonObject error = body.getAsJsonObject("error");
    // Odoo: application errors are code 200 "Odoo Server Error"; werkzeug ones carry their status.
    assertThat(error.get("code").getAsInt()).isEqualTo(c.status());
    assertThat(error.get("message").getAsString())
        .isEqualTo(c.status() == 200 ? "Odoo Server Error" : c.status() + ": " + reason(c.status()));
    JsonObject data = error.getAsJsonObject("data");
    assertThat(data.get("name").getAsString()).isEqualTo(c.errorName());
    assertThat(data.get("message").getAsString()).contains(c.detail());
    if (c.status() == 200) {
      assertThat(data.getAsJsonArray("arguments")).containsExactly(data.get("message"));
    } else {
      // werkzeug's HTTP exceptions carry no arguments in Odoo's envelope (transcript S32).
      assertThat(data.getAsJsonArray("arguments")).isEmpty();
    }
    assertThat(data.get("exception_type").getAsString()).isEqualTo("internal_error");
    if (c.echoesId()) {
      assertThat(body.get("id").getAsLong()).isEqualTo(requestId(c.body()));
    } else {
      assertThat(body.get("id").isJsonNull()).isTrue();
    }

    Snapshot after = snapshot(); // also proves the server still answers a valid request
    after.assertSameStateAs(before);
  }

  /** Without a Content-Length the limit is enforced while reading. */
  @Test
  void tenMegabytesSentChunkedAreRefusedWith413() throws Exception {
    Snapshot before = snapshot();

    Raw answer = send("POST", UPDATE, chunked(tenMegabytes()));

    assertThat(answer.status()).isEqualTo(413);
    assertThat(answer.header("Access-Control-Allow-Origin")).contains("*");
    assertThat(answer.json()).isEqualTo(JsonParser.parseString("""
        {"jsonrpc":"2.0","id":null,"error":{"code":413,"message":"413: Request Entity Too Large",
         "data":{"name":"werkzeug.exceptions.RequestEntityTooLarge","debug":"",
                 "message":"The request body is larger than 8388608 bytes.",
                 "arguments":[],
                 "exception_type":"internal_error","context":{}}}}"""));
    snapshot().assertSameStateAs(before);
  }

  /**
   * The refusal of an oversized body stays with its request: the next request on the same
   * keep-alive connection gets its own answer (it once got the 413 when the body reader failed
   * the connection's request after the refusal had been sent).
   */
  @Test
  void theRequestAfterAnOversizedOneOnTheSameConnectionGetsItsOwnAnswer() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(send("POST", UPDATE, chunked(tenMegabytes())).status()).isEqualTo(413);
      Raw peek = send("POST", POLL, bytes(call("{\"channels\":" + shopChannels(9)
          + ",\"last\":0,\"options\":{\"peek\":true}}")));
      assertThat(peek.status()).as("answer %s", peek.text()).isEqualTo(200);
      assertThat(peek.json().has("result")).as("answer %s", peek.text()).isTrue();
    }
  }

  /** A client's revision of 2^80 is a revision conflict like any other, not a malformed request. */
  @Test
  void revisionOfTwoToTheEightyIsAnOrdinaryConflict() throws Exception {
    Snapshot before = snapshot();

    JsonElement result = update(1, """
        {"action":"update_order","data":{"uid":"00011-001-0001","run_ID":1,"pos_id":1,
         "revision_ID":%s,"nonce":"big-rev","lines":[]},"session_id":11,"login_number":1}
        """.formatted(TWO_TO_THE_80)).result();

    assertThat(result).isEqualTo(JsonParser.parseString(
        "{\"action\":\"revision_error\",\"order_uid\":\"00011-001-0001\",\"state\":\"draft\"}"));
    snapshot().assertSameStateAs(before);
  }

  /** The request id is echoed with its text intact, even when JavaScript could not hold it. */
  @Test
  void hugeRequestIdIsEchoedVerbatim() throws Exception {
    Raw answer = send("POST", PING, bytes("""
        {"jsonrpc":"2.0","method":"call","id":%s,
         "params":{"message":"PING","pos_id":77,"db_name":"echo"}}""".formatted(TWO_TO_THE_80)));

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.text()).isEqualTo(
        "{\"jsonrpc\":\"2.0\",\"id\":" + TWO_TO_THE_80 + ",\"result\":1}");
  }

  @Test
  void unknownExtraParamsAreIgnored() throws Exception {
    MultiSessionKey extra = new MultiSessionKey("extra", 1);
    String registration = """
        {"multi_session_id":1,"dbname":"extra","user_ID":5,"debug":true,"context":{"lang":"fr_FR"},
         "message":{"action":"sync_all","data":{"run_ID":1,"pos_id":5,"nonce":"x1","x_module":1},
                    "immediate_rerendering":true,"session_id":51,"login_number":1,"x_note":"hi"}}""";
    JsonObject synced = rpc.post(UPDATE, call(registration)).result().getAsJsonObject();
    assertThat(synced).isEqualTo(JsonParser.parseString("""
        {"action":"sync_all","data":{"orders":[],"message_ID":2,"order_ID":0,"uid":null,
         "login_number":1,"session_id":51}}"""));
    assertThat(node.node().pipeline().status(extra)).contains(new MultiSessionStatus(1, 0, 0, 0, 1));

    long lastBefore = node.node().bus().lastId();
    RpcClient.Answer pong = rpc.post(PING, call(
        "{\"message\":\"PING\",\"pos_id\":5,\"db_name\":\"extra\",\"x_extra\":[1,2,3]}"));
    assertThat(pong.result().getAsInt()).isEqualTo(1);
    assertThat(node.node().bus().lastId()).isEqualTo(lastBefore + 1);

    RpcClient.Answer poll = rpc.post(POLL, call("""
        {"channels":["[\\"extra\\",\\"pos.longpolling\\",\\"5\\"]"],"last":%d,
         "options":{"bus_inactivity":12,"bus_presence_partner_ids":[3]},"x_extra":"ignored"}"""
        .formatted(lastBefore)));
    assertThat(poll.result()).isEqualTo(JsonParser.parseString("""
        [{"id":%d,"channel":"[\\"extra\\",\\"pos.longpolling\\",\\"5\\"]","message":"PONG"}]"""
        .formatted(lastBefore + 1)));
  }

  /**
   * Order payloads are opaque (docs/architecture.md; docs/protocol.md §5.2): numbers keep their text through the
   * broadcast and sync_all, however big or precise.
   */
  @Test
  void hugeAndPreciseNumbersInTheOrderKeepTheirText() throws Exception {
    String db = "numbers";
    register(db, 21, 21);
    register(db, 22, 22);
    long last = node.node().bus().lastId();
    String numbers = "\"x_big\":123456789012345678901234567890,\"price\":1.10,\"q\":1e400,"
        + "\"tiny\":-0.000000000000000000000000000001,\"neg_zero\":-0.0,\"exp\":2.50E+3";

    String order = """
        {"action":"update_order","session_id":121,"login_number":1,
         "data":{"uid":"00121-001-0001","sequence_number":1,"revision_ID":1,"run_ID":1,
                 "pos_id":21,"nonce":"num-1",%s,
                 "lines":[[0,0,{"uid":"00121-001-0001-1","qty":1,"price_unit":1.10,%s}]]}}"""
        .formatted(numbers, numbers);
    JsonElement created = rpc.post(UPDATE, call(updateParams("1", "\"" + db + "\"", "21", order)))
        .result();
    assertThat(created.getAsJsonObject().get("action").getAsString())
        .isEqualTo("update_revision_ID");

    // Pos 22 receives the broadcast: the raw bytes carry every number as sent, twice.
    Raw broadcast = send("POST", POLL, bytes(call(pollParams(
        "[\"[\\\"numbers\\\",\\\"pos.multi_session\\\",\\\"22\\\"]\"]", Long.toString(last)))));
    assertThat(broadcast.text()).contains("\"message_ID\":3");
    assertThat(occurrences(broadcast.text(), numbers)).isEqualTo(2);

    // A full sync_all answered inline carries them too.
    Raw sync = send("POST", UPDATE, bytes(call(updateParams("1", "\"" + db + "\"", "22", """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":22,"nonce":"num-2"},
         "immediate_rerendering":true,"session_id":122,"login_number":1}"""))));
    assertThat(sync.text()).contains("\"uid\":\"00121-001-0001\"");
    assertThat(occurrences(sync.text(), numbers)).isEqualTo(2);
  }

  /** Emoji, line separators and escaped surrogate pairs survive storage and both ways out. */
  @Test
  void unicodeEdgeCasesRoundTrip() throws Exception {
    String db = "unicode";
    register(db, 31, 31);
    register(db, 32, 32);
    long last = node.node().bus().lastId();
    // In the request: raw emoji, raw U+2028/U+2029, an escaped surrogate pair, escaped NUL, lone
    // escaped surrogates (JSON.stringify writes them so since ES2019, e.g. for an emoji cut in
    // half) and a right-to-left name.
    String noteJson = "\"🍕 pizza\u2028line\u2029para \\ud83c\\udf54 burger \\u0000 half \\ud83c"
        + " lone \\udf54 end\"";
    String expectedNote = "🍕 pizza\u2028line\u2029para \uD83C\uDF54 burger \u0000 half \uD83C"
        + " lone \uDF54 end";
    String order = """
        {"action":"update_order","session_id":131,"login_number":1,
         "data":{"uid":"00131-001-0001","sequence_number":1,"revision_ID":1,"run_ID":1,
                 "pos_id":31,"nonce":"uni-1","note":%s,"\u00e9t\u00e9 \\u2603":"sn\u00f6w",
                 "partner":"\u05e9\u05dc\u05d5\u05dd",
                 "lines":[[0,0,{"uid":"00131-001-0001-1","qty":1,"note":%s}]]}}"""
        .formatted(noteJson, noteJson);
    assertThat(rpc.post(UPDATE, call(updateParams("1", "\"" + db + "\"", "31", order))).result()
        .getAsJsonObject().get("action").getAsString()).isEqualTo("update_revision_ID");

    Raw broadcast = send("POST", POLL, bytes(call(pollParams(
        "[\"[\\\"unicode\\\",\\\"pos.multi_session\\\",\\\"32\\\"]\"]", Long.toString(last)))));
    // UTF-8 cannot carry a lone surrogate: it must go out escaped, not as '?'.
    assertThat(broadcast.text()).contains("half \\ud83c lone \\udf54 end").doesNotContain("?");
    JsonObject sent = broadcast.json().getAsJsonArray("result").get(0).getAsJsonObject()
        .getAsJsonObject("message").getAsJsonObject("data");
    assertUnicodeIntact(sent, expectedNote);

    JsonObject synced = rpc.post(UPDATE, call(updateParams("1", "\"" + db + "\"", "32", """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":32,"nonce":"uni-2"},
         "immediate_rerendering":true,"session_id":132,"login_number":1}"""))).result()
        .getAsJsonObject();
    JsonObject stored = synced.getAsJsonObject("data").getAsJsonArray("orders").get(0)
        .getAsJsonObject().getAsJsonObject("data");
    assertUnicodeIntact(stored, expectedNote);
  }

  private static void assertUnicodeIntact(JsonObject data, String expectedNote) {
    assertThat(data.get("note").getAsString()).isEqualTo(expectedNote);
    assertThat(data.get("partner").getAsString()).isEqualTo("\u05e9\u05dc\u05d5\u05dd");
    assertThat(data.get("\u00e9t\u00e9 \u2603").getAsString()).isEqualTo("sn\u00f6w");
    assertThat(data.getAsJsonArray("lines").get(0).getAsJsonArray().get(2).getAsJsonObject()
        .get("note").getAsString()).isEqualTo(expectedNote);
  }

  // --- state snapshots --------------------------------------------------------------------

  /**
   * What a full inline sync_all of the observer terminal shows, plus the multi-session status and
   * the bus counter. Taking it increments the observer's message_ID (every sync_all does, §5.8).
   */
  record Snapshot(JsonObject syncAll, long messageId, Optional<MultiSessionStatus> status,
      long lastNotificationId) {
    void assertSameStateAs(Snapshot before) {
      assertThat(lastNotificationId).as("no notification published")
          .isEqualTo(before.lastNotificationId);
      assertThat(status).isEqualTo(before.status);
      assertThat(syncAll).isEqualTo(before.syncAll);
      assertThat(messageId).as("only the snapshot's own sync_all counted")
          .isEqualTo(before.messageId + 1);
    }
  }

  private static Snapshot snapshot() throws Exception {
    long lastId = node.node().bus().lastId();
    JsonObject payload = update(9, """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":9,"nonce":"snap"},
         "immediate_rerendering":true,"session_id":19,"login_number":1}""")
        .result().getAsJsonObject();
    JsonObject data = payload.getAsJsonObject("data");
    long messageId = data.remove("message_ID").getAsLong();
    JsonArray orders = data.getAsJsonArray("orders");
    assertThat(orders).hasSize(2); // A and B; the tombstone C is not listed
    for (JsonElement o : orders) {
      assertThat(o.getAsJsonObject().getAsJsonObject("data").remove("message_ID").getAsLong())
          .isEqualTo(messageId);
    }
    return new Snapshot(payload, messageId, node.node().pipeline().status(SHOP), lastId);
  }

  // --- requests ---------------------------------------------------------------------------

  private static RpcClient.Answer update(int userId, String message) throws Exception {
    RpcClient.Answer a = rpc.post(UPDATE, call(updateParams("7", "\"shop\"",
        Integer.toString(userId), message)));
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.isError()).as("error in %s", a.body()).isFalse();
    return a;
  }

  private static void register(String db, int posId, int userId) throws Exception {
    RpcClient.Answer a = rpc.post(UPDATE, call(updateParams("1", "\"" + db + "\"",
        Integer.toString(userId), """
        {"action":"sync_all","data":{"run_ID":1,"pos_id":%d,"nonce":"r%d"},
         "immediate_rerendering":true,"session_id":%d,"login_number":1}"""
            .formatted(posId, posId, 100 + posId))));
    assertThat(a.result().getAsJsonObject().getAsJsonObject("data").get("message_ID").getAsInt())
        .isEqualTo(2);
  }

  private static String newOrder(String uid, int posId, String note) {
    return order(uid, posId, 1, 99, note);
  }

  private static String changedOrder(String uid, int posId, int revision, String note) {
    return order(uid, posId, revision, 1, note);
  }

  private static String order(String uid, int posId, int revision, int sequence, String note) {
    return """
        {"action":"update_order","session_id":%d,"login_number":1,
         "data":{"uid":"%s","sequence_number":%d,"revision_ID":%d,"run_ID":1,"pos_id":%d,
                 "nonce":"%s","note":"%s","amount_total":4.8,
                 "lines":[[0,0,{"uid":"%s-1","qty":1,"price_unit":4.8,"product_id":50}]]}}"""
        .formatted(10 + posId, uid, sequence, revision, posId, uid + "-" + note, note, uid);
  }

  private static String syncAll(int posId) {
    return "{\"action\":\"sync_all\",\"data\":{\"run_ID\":2,\"pos_id\":" + posId
        + ",\"nonce\":\"s\"},\"immediate_rerendering\":true,\"session_id\":11,\"login_number\":1}";
  }

  private static String updateParams(String msId, String dbname, String userId, String message) {
    return "{\"multi_session_id\":" + msId + ",\"dbname\":" + dbname + ",\"user_ID\":" + userId
        + ",\"message\":" + message + "}";
  }

  private static String shopParams(String message) {
    return updateParams("7", "\"shop\"", "1", message);
  }

  private static String pollParams(String channels, String last) {
    return "{\"channels\":" + channels + ",\"last\":" + last + ",\"options\":{\"bus_inactivity\":1}}";
  }

  private static String shopChannels(int posId) {
    return "[\"[\\\"shop\\\",\\\"pos.multi_session\\\",\\\"" + posId + "\\\"]\"]";
  }

  private static long nextId = 900_000_000;

  /** The envelope the POS sends, with a recognisable id. */
  private static synchronized String call(String params) {
    return "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":" + params + ",\"id\":" + (nextId++)
        + "}";
  }

  private static long requestId(byte[] body) {
    return JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject()
        .get("id").getAsLong();
  }

  private static BadCase invalid(String name, String path, String params, String detail) {
    return new BadCase(name, "POST", path, bytes(call(params)), 200, INVALID_PARAMS, detail, true);
  }

  private static BadCase http400(String name, String path, String body, String detail) {
    return new BadCase(name, "POST", path, bytes(body), 400, BAD_REQUEST, detail, false);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String deeplyNested(int depth) {
    return "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":1,\"params\":{\"x\":"
        + "[".repeat(depth) + "]".repeat(depth) + "}}";
  }

  private static byte[] invalidUtf8() {
    byte[] head = bytes("{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":1,\"params\":{\"dbname\":\"");
    // A broken two-byte sequence, then two bytes UTF-8 never uses.
    byte[] bad = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE};
    byte[] tail = bytes("\"}}");
    byte[] all = Arrays.copyOf(head, head.length + bad.length + tail.length);
    System.arraycopy(bad, 0, all, head.length, bad.length);
    System.arraycopy(tail, 0, all, head.length + bad.length, tail.length);
    return all;
  }

  private static byte[] tenMegabytes() {
    String head = "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":1,\"params\":{\"pad\":\"";
    String tail = "\"}}";
    byte[] all = new byte[10 * 1024 * 1024];
    Arrays.fill(all, (byte) 'a');
    System.arraycopy(bytes(head), 0, all, 0, head.length());
    System.arraycopy(bytes(tail), 0, all, all.length - tail.length(), tail.length());
    return all;
  }

  private static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Request Entity Too Large";
      default -> throw new IllegalArgumentException("status " + status);
    };
  }

  private static int occurrences(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  // --- raw HTTP ---------------------------------------------------------------------------

  /** An answer with its raw text, so that number spelling and headers can be checked. */
  record Raw(int status, Map<String, List<String>> headers, String text) {
    Optional<String> header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .flatMap(e -> e.getValue().stream()).findFirst();
    }

    JsonObject json() {
      return JsonParser.parseString(text).getAsJsonObject();
    }
  }

  private static Raw send(String method, String path, byte[] body) throws Exception {
    return send(method, path, body.length == 0 && !method.equals("POST")
        ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body));
  }

  private static Raw send(String method, String path, BodyPublisher publisher) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(node.baseUri() + path))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .header("Origin", ORIGIN)
        .method(method, publisher)
        .build();
    HttpResponse<String> r =
        http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    return new Raw(r.statusCode(), r.headers().map(), r.body());
  }

  /** A body sent chunked, without Content-Length. */
  private static BodyPublisher chunked(byte[] body) {
    return BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body));
  }
}
