package io.possync.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.testing.Pos;
import io.possync.testing.TestCertificate;
import io.possync.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/1.1 connections are kept alive (docs/jetty.md), and every answer on a kept connection is
 * its own request's: each request carries an id of its own, and the sequences that once sent an
 * answer to the wrong request run many times on one socket. Raw sockets ({@link RawHttp}), so
 * that nothing between the test and the server opens, pools or retries connections.
 */
class KeepAliveTest {
  private static final String DB = "keepalive";
  private static final int TIMEOUT_MS = 10_000;
  private static final AtomicLong IDS = new AtomicLong(1_000);

  @TempDir
  static Path dir;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(Map.of("poll.timeout", "1"));
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  /**
   * Updates, PINGs, polls answered at once, chunked bodies, preflights with and without a body,
   * malformed and unknown calls, mixed, hundreds of times on one socket.
   */
  @Test
  void manyMixedExchangesShareOneConnection() throws Exception {
    try (RawHttp http = new RawHttp(node.port(), 5_000)) {
      register(http, 1);
      for (int i = 0; i < 200; i++) {
        long id = IDS.incrementAndGet();
        switch (i % 8) {
          case 0 -> expectResult(http, post(PosSyncServer.UPDATE_PATH, id, update(1), false), id);
          case 1 -> expectResult(http, post(PosSyncServer.UPDATE_PATH, id, update(1), true), id);
          case 2 -> expectResult(http, post(PosSyncServer.PING_PATH, id, ping(1), i % 16 == 2), id);
          case 3 -> expectResult(http, post(PosSyncServer.POLL_PATH, id, peek(1), false), id);
          case 4 -> expectPreflight(http.exchange(preflight("x".repeat(i)), false, TIMEOUT_MS));
          case 5 -> expectPreflight(http.exchange(preflightChunked("{\"n\":" + i + "}"), false,
              TIMEOUT_MS));
          case 6 -> {
            // Not JSON: answered 400 without an id, and the connection stays.
            RawHttp.Answer a = http.exchange(raw("POST", PosSyncServer.UPDATE_PATH,
                "{\"id\":" + id + ",", false), false, TIMEOUT_MS);
            assertThat(a.status()).isEqualTo(400);
            assertThat(a.header("connection")).isNull();
          }
          default -> {
            RawHttp.Answer a = http.exchange(post("/nowhere", id, ping(1), false), false,
                TIMEOUT_MS);
            assertThat(a.status()).isEqualTo(404);
            assertThat(idOf(a)).isEqualTo(id);
          }
        }
      }
      assertThat(http.opened()).as("sockets opened").isEqualTo(1);
    }
  }

  /**
   * Several requests written before any answer is read: the answers come back in order, each
   * with its own id, bodies framed by length and chunked alike.
   */
  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    try (RawHttp http = new RawHttp(node.port(), 5_000)) {
      register(http, 2);
      for (int round = 0; round < 50; round++) {
        List<Long> ids = new ArrayList<>();
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (int k = 0; k < 6; k++) {
          long id = IDS.incrementAndGet();
          ids.add(id);
          batch.writeBytes(switch (k) {
            case 0 -> post(PosSyncServer.UPDATE_PATH, id, update(2), false);
            case 1 -> post(PosSyncServer.PING_PATH, id, ping(2), true);
            case 2 -> preflight("{\"body\":" + round + "}");
            case 3 -> post(PosSyncServer.POLL_PATH, id, peek(2), false);
            case 4 -> post(PosSyncServer.UPDATE_PATH, id, update(2), true);
            default -> post(PosSyncServer.PING_PATH, id, ping(2), false);
          });
        }
        http.send(batch.toByteArray());
        for (int k = 0; k < 6; k++) {
          RawHttp.Answer a = http.read(false, TIMEOUT_MS);
          if (k == 2) {
            expectPreflight(a);
          } else {
            assertThat(a.status()).as("answer %d of round %d: %s", k, round, a.text())
                .isEqualTo(200);
            assertThat(idOf(a)).as("answer %d of round %d", k, round).isEqualTo(ids.get(k));
          }
        }
      }
      assertThat(http.opened()).as("sockets opened").isEqualTo(1);
    }
  }

  /**
   * A held poll answered by a publication from another connection (written by the commit
   * writer), or by its timeout (written by the timer thread), then the next request on the
   * poll's connection: that one gets its own answer.
   */
  @Test
  void theRequestAfterAHeldPollGetsItsOwnAnswer() throws Exception {
    try (RawHttp poller = new RawHttp(node.port(), 5_000);
        RawHttp publisher = new RawHttp(node.port(), 5_000)) {
      for (int round = 0; round < 40; round++) {
        long pollId = IDS.incrementAndGet();
        int held = node.node().bus().heldPolls();
        poller.send(post(PosSyncServer.POLL_PATH, pollId, poll(3, node.node().bus().lastId()),
            round % 2 == 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> node.node().bus().heldPolls() > held);
        boolean timeout = round % 10 == 9;
        if (!timeout) {
          long pingId = IDS.incrementAndGet();
          expectResult(publisher, post(PosSyncServer.PING_PATH, pingId, ping(3), false), pingId);
        }
        RawHttp.Answer polled = poller.read(false, TIMEOUT_MS);
        assertThat(polled.status()).isEqualTo(200);
        assertThat(idOf(polled)).as("round %d", round).isEqualTo(pollId);
        assertThat(resultOf(polled).getAsJsonArray()).hasSize(timeout ? 0 : 1);

        long nextId = IDS.incrementAndGet();
        expectResult(poller, post(PosSyncServer.PING_PATH, nextId, ping(4), false), nextId);
        long peekId = IDS.incrementAndGet();
        expectResult(poller, post(PosSyncServer.POLL_PATH, peekId, peek(3), true), peekId);
      }
      assertThat(poller.opened()).as("sockets the poller opened").isEqualTo(1);
      assertThat(publisher.opened()).as("sockets the publisher opened").isEqualTo(1);
    }
  }

  /**
   * An early answer (405 to a GET with a body, 413 to an oversized body) ends its connection and
   * says so (a narrow workaround, JettyHardening); the request after it, on a new connection,
   * gets its own answer. A preflight with a body is no refusal: its connection stays.
   */
  @Test
  void refusalsEndTheirConnectionAndTheNextRequestGetsItsOwnAnswer() throws Exception {
    try (RawHttp http = new RawHttp(node.port(), 5_000)) {
      for (int round = 0; round < 30; round++) {
        RawHttp.Answer early = switch (round % 3) {
          case 0 -> http.exchange(raw("GET", PosSyncServer.UPDATE_PATH, "{\"x\":1}", false),
              false, TIMEOUT_MS);
          case 1 -> http.exchange(raw("PUT", PosSyncServer.POLL_PATH, "{\"x\":1}", true),
              false, TIMEOUT_MS);
          default -> http.exchange(preflight("{\"x\":" + round + "}"), false, TIMEOUT_MS);
        };
        if (round % 3 == 2) {
          expectPreflight(early);
        } else {
          assertThat(early.status()).isEqualTo(405);
          assertThat(early.header("connection")).isEqualToIgnoringCase("close");
        }
        long id = IDS.incrementAndGet();
        expectResult(http, post(PosSyncServer.PING_PATH, id, ping(5), round % 2 == 0), id);
      }
      // One connection per 405, plus the first.
      assertThat(http.opened()).isEqualTo(21);
    }
  }

  /** The admin listener keeps its connections too (a scraper's, a probe's). */
  @Test
  void theAdminListenerKeepsItsConnection() throws Exception {
    try (RawHttp http = new RawHttp(node.adminUri().getPort(), 5_000)) {
      for (int i = 0; i < 100; i++) {
        String path = i % 2 == 0 ? AdminServer.HEALTH_PATH : AdminServer.METRICS_PATH;
        RawHttp.Answer a = http.exchange(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII), false, TIMEOUT_MS);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.header("connection")).isNull();
      }
      assertThat(http.opened()).isEqualTo(1);
    }
  }

  /** HTTP/1.1 over TLS (a client that offers no ALPN) keeps its connection as well. */
  @Test
  void theHttpsListenerKeepsItsHttp1Connection() throws Exception {
    TestCertificate cert = TestCertificate.generate(dir, "keepalive", "EC", "ip:127.0.0.1");
    try (TestNode https = TestNode.startHttps(Map.of("tls.cert_file", cert.certPem().toString(),
            "tls.key_file", cert.keyPem().toString()), Map.of());
        RawHttp http = new RawHttp(https.tlsPort(), 5_000,
            cert.trustingOnlyThis().getSocketFactory())) {
      for (int i = 0; i < 100; i++) {
        long id = IDS.incrementAndGet();
        byte[] request = i % 3 == 0 ? preflight("{\"n\":1}")
            : post(PosSyncServer.PING_PATH, id, ping(6), i % 2 == 0);
        RawHttp.Answer a = http.exchange(request, false, TIMEOUT_MS);
        if (i % 3 == 0) {
          expectPreflight(a);
        } else {
          assertThat(a.status()).isEqualTo(200);
          assertThat(idOf(a)).isEqualTo(id);
        }
      }
      assertThat(http.opened()).isEqualTo(1);
    }
  }

  // --- requests -----------------------------------------------------------------------------

  private static void register(RawHttp http, long posId) throws IOException {
    long id = IDS.incrementAndGet();
    JsonObject params = Pos.update(DB, 1, posId, Pos.syncAll(posId, 1, true));
    expectResult(http, post(PosSyncServer.UPDATE_PATH, id, params, false), id);
  }

  private static JsonObject update(long posId) {
    return Pos.update(DB, 1, posId, Pos.syncAll(posId, 1, true));
  }

  private static JsonObject ping(long posId) {
    return JsonParser.parseString("{\"message\":\"PING\",\"pos_id\":" + posId + ",\"db_name\":\""
        + DB + "\"}").getAsJsonObject();
  }

  private static JsonElement poll(long posId, long last) {
    return Pos.poll(DB, posId, last);
  }

  /** A poll that never waits: a peek from the start. */
  private static JsonElement peek(long posId) {
    JsonObject p = Pos.poll(DB, posId, 0).getAsJsonObject();
    JsonObject options = new JsonObject();
    options.addProperty("peek", true);
    p.add("options", options);
    return p;
  }

  private static byte[] post(String path, long id, JsonElement params, boolean chunked) {
    String body = "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":" + params + ",\"id\":" + id
        + "}";
    return raw("POST", path, body, chunked);
  }

  /** A request with a body, framed by length or in chunks of at most 7 bytes. */
  private static byte[] raw(String method, String path, String body, boolean chunked) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Type: application/json\r\nOrigin: https://odoo.example.com\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    if (!chunked) {
      out.writeBytes(("Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(b);
      return out.toByteArray();
    }
    out.writeBytes("Transfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    for (int at = 0; at < b.length; at += 7) {
      int n = Math.min(7, b.length - at);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(b, at, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** A CORS preflight that carries a body all the same (browsers send none). */
  private static byte[] preflight(String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("OPTIONS " + PosSyncServer.UPDATE_PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Origin: https://odoo.example.com\r\nAccess-Control-Request-Method: POST\r\n"
        + "Access-Control-Request-Headers: content-type\r\n"
        + (b.length > 0 ? "Content-Length: " + b.length + "\r\n" : "") + "\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(b);
    return out.toByteArray();
  }

  private static byte[] preflightChunked(String body) {
    String chunked = new String(raw("X", "/", body, true), StandardCharsets.UTF_8);
    String chunks = chunked.substring(chunked.indexOf("\r\n\r\n") + 4);
    return ("OPTIONS " + PosSyncServer.POLL_PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Origin: https://odoo.example.com\r\nAccess-Control-Request-Method: POST\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n" + chunks).getBytes(StandardCharsets.UTF_8);
  }

  // --- answers ------------------------------------------------------------------------------

  private static void expectResult(RawHttp http, byte[] request, long id) throws IOException {
    RawHttp.Answer a = http.exchange(request, false, TIMEOUT_MS);
    assertThat(a.status()).as("answer %s", a.text()).isEqualTo(200);
    assertThat(a.header("connection")).as("Connection header").isNull();
    assertThat(idOf(a)).as("the id of the answer %s", a.text()).isEqualTo(id);
    assertThat(resultOf(a)).as("a result: %s", a.text()).isNotNull();
  }

  private static void expectPreflight(RawHttp.Answer a) {
    assertThat(a.status()).isEqualTo(204);
    assertThat(a.header("access-control-allow-methods")).contains("POST");
    assertThat(a.header("connection")).isNull();
  }

  private static long idOf(RawHttp.Answer a) {
    return JsonParser.parseString(a.text()).getAsJsonObject().get("id").getAsLong();
  }

  private static JsonElement resultOf(RawHttp.Answer a) {
    return JsonParser.parseString(a.text()).getAsJsonObject().get("result");
  }
}
