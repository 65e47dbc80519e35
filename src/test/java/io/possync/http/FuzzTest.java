package io.possync.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.bus.Bus;
import io.possync.store.TokenTables;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionStatus;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * A seeded mutation fuzzer against a real node over real HTTP (docs/protocol.md §2, D10): mutations of
 * the golden transcript's request bodies, odd methods, paths, headers and framing, oversized and
 * random bodies ({@link FuzzInputs}) go to all three POS endpoints from several sockets, then to
 * a node in token mode without a valid token, then to the admin listener. Each lane keeps its
 * connection alive across requests and opens a new one only after an answer that ended the old
 * one, which must be a refusal or asked for by the request; every request carries an id of its
 * own, so an answer that reached the wrong request shows. Every answer must be a
 * documented one ({@link FuzzOracle}); no ERROR and no stack trace from PosSync or Jetty may be
 * logged; afterwards two terminals still sync an order with consecutive message_IDs, the fuzzed
 * multi-session is consistent and survives a restart unchanged, the bus counter only grew and
 * stayed below 2^53, and nothing refused changed any state.
 *
 * <p>Runs 20,000 + 5,000 + 3,000 requests by default. Longer or replayed runs (docs/security.md
 * records them); the seed and the counts are printed:
 * <pre>
 *   mvn -B test -Dtest=FuzzTest -Dpossync.fuzz.requests=1000000 -Dpossync.fuzz.refused=100000 \
 *       -Dpossync.fuzz.admin=30000 -DargLine=-Xmx2g
 *   mvn -B test -Dtest=FuzzTest -Dpossync.fuzz.seed=S                # the same inputs again
 *   mvn -B test -Dtest=FuzzTest#everyAnswer* -Dpossync.fuzz.seed=S -Dpossync.fuzz.only=I
 * </pre>
 * The seed is printed at the start and in every failure.
 */
class FuzzTest {
  private static final int DEFAULT_REQUESTS = 20_000;
  /** Requests of the token-mode run, on top: all of them are refused before being read. */
  private static final int DEFAULT_REFUSED = 5_000;
  /** Requests of the admin listener's run, on top. */
  private static final int DEFAULT_ADMIN = 3_000;
  /** Small enough to make oversized bodies cheap, large enough for ~1 MB strings. */
  private static final int MAX_BODY = 1_200_000;
  private static final int MAX_DEPTH = 128;
  /** Threads sending requests answered at once; polls that may be held go to the slow lanes. */
  private static final int MAIN_LANES = 4;
  private static final int SLOW_LANES = 24;
  private static final int READ_TIMEOUT_MS = 15_000;
  private static final int MAX_REPORTED = 30;
  private static final MultiSessionKey FUZZED = new MultiSessionKey("testdb", 1);

  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final AtomicInteger failureCount = new AtomicInteger();
  private final Map<String, LongAdder> stats = new ConcurrentHashMap<>();
  /** Exchanges on a socket that had carried one before. */
  private final LongAdder keptAlive = new LongAdder();
  /** Why a lane left its socket: the status of the answer that ended it, client, idle. */
  private final Map<String, LongAdder> closes = new ConcurrentHashMap<>();
  private final AtomicLong beacon = new AtomicLong();

  @Test
  void everyAnswerIsDocumentedAndTheServerKeepsWorking() throws Exception {
    long seed = Long.getLong("possync.fuzz.seed", new SecureRandom().nextLong());
    int requests = Integer.getInteger("possync.fuzz.requests", DEFAULT_REQUESTS);
    Integer only = Integer.getInteger("possync.fuzz.only");
    System.out.println("FuzzTest seed=" + seed + " requests=" + (only == null ? requests : "#" + only)
        + "  (replay: -Dpossync.fuzz.seed=" + seed + ")");

    LogCapture logs = LogCapture.attach();
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, r -> {
      Thread t = new Thread(r, "fuzz-timers");
      t.setDaemon(true);
      return t;
    });
    try (TestNode node = TestNode.start(Map.of(
        "http.max_body_bytes", Integer.toString(MAX_BODY),
        "http.max_json_depth", Integer.toString(MAX_DEPTH),
        "poll.timeout", "1",
        // Bounds the bus's memory in long runs: the fuzzer's broadcasts go to every terminal it
        // registered, and the server shares this JVM's heap. The oldest go first, so the beacon,
        // renewed every second, stays.
        "retention.notification_bytes", Integer.toString(64 << 20)))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      refreshBeacon(rpc);
      timers.scheduleWithFixedDelay(() -> {
        try {
          refreshBeacon(rpc);
        } catch (Exception | AssertionError e) {
          fail("beacon refresh failed: " + e);
        }
      }, 1, 1, TimeUnit.SECONDS);
      BusWatch watch = new BusWatch(node.node().bus());
      timers.scheduleAtFixedRate(watch, 0, 20, TimeUnit.MILLISECONDS);

      FuzzInputs inputs = new FuzzInputs(FuzzInputs.goldenSeeds("/golden/transcript.jsonl"),
          MAX_BODY);
      FuzzOracle oracle = new FuzzOracle(MAX_BODY, MAX_DEPTH, false);
      int first = only == null ? 0 : only;
      int end = only == null ? requests : only + 1;
      long started = System.nanoTime();
      long budgetMillis = Math.max(90_000L, (end - first) * 4L);
      runLanes(node, inputs, oracle, seed, first, end, started + budgetMillis * 1_000_000L,
          only != null, UnaryOperator.identity());
      long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
      timers.shutdownNow();
      timers.awaitTermination(5, TimeUnit.SECONDS);

      System.out.printf("FuzzTest seed=%d: %d requests in %.1f s (%.0f/s), %d on a kept"
              + " connection, connections ended after (status, client, idle): %s, answers by kind"
              + " and status: %s%n",
          seed, end - first, elapsedMillis / 1000.0, (end - first) * 1000.0 / Math.max(1, elapsedMillis),
          keptAlive.sum(), new TreeMap<>(closes), new TreeMap<>(stats));
      List<String> warnings = logs.warnings();
      if (!warnings.isEmpty()) {
        System.out.println("FuzzTest: " + warnings.size() + " WARN lines, e.g. " + warnings.get(0));
      }
      SoftAssertions run = new SoftAssertions();
      run.assertThat(failures).as("%d bad answers (seed %d; shown: the first %d)",
          failureCount.get(), seed, MAX_REPORTED).isEmpty();
      run.assertThat(logs.faults()).as("ERROR or stack traces logged (seed %d)", seed).isEmpty();
      run.assertThat(watch.problems).as("bus counter (seed %d)", seed).isEmpty();
      run.assertAll();

      long lastIdAfterFuzz = node.node().bus().lastId();
      assertThat(lastIdAfterFuzz).isLessThanOrEqualTo(Bus.MAX_ID);
      twoTerminalsStillSyncAnOrder(node, rpc, "after-fuzz");
      // (A replayed single request may not have created the fuzzed multi-session.)
      Long runId = node.node().pipeline().status(FUZZED).map(MultiSessionStatus::runId).orElse(null);
      System.out.println("FuzzTest: the fuzzed multi-session afterwards: "
          + node.node().pipeline().status(FUZZED).orElse(null));
      JsonObject before = runId == null ? null : fuzzedMultiSessionIsConsistent(node, rpc, runId);
      node.restart();
      assertThat(node.node().bus().lastId()).as("ids continue after a restart")
          .isGreaterThanOrEqualTo(lastIdAfterFuzz);
      if (runId != null) {
        JsonObject after = fuzzedMultiSessionIsConsistent(node, new RpcClient(node.baseUri()),
            runId);
        assertThat(after).as("the fuzzed multi-session as reloaded from the store")
            .isEqualTo(before);
      }
      assertThat(logs.faults()).as("ERROR or stack traces logged (seed %d)", seed).isEmpty();
    } finally {
      timers.shutdownNow();
      logs.detach();
    }
  }

  /**
   * The same generator against a node in {@code auth.mode=token}, every request without a token,
   * with a forged, malformed or revoked one: every answer is a refusal of the documented kind
   * (never a result), and nothing changes: the bus hands out no id, the multi-session the valid
   * token wrote keeps its state. Afterwards valid tokens still work.
   */
  @Test
  void withoutAValidTokenEveryRequestIsRefusedAndNothingChanges() throws Exception {
    long seed = Long.getLong("possync.fuzz.seed", new SecureRandom().nextLong());
    int requests = Integer.getInteger("possync.fuzz.refused", DEFAULT_REFUSED);
    System.out.println("FuzzTest (token mode) seed=" + seed + " requests=" + requests
        + "  (replay: -Dpossync.fuzz.seed=" + seed + ")");
    LogCapture logs = LogCapture.attach();
    try (TestNode node = TestNode.start(Map.of(
        "auth.mode", "token",
        "http.max_body_bytes", Integer.toString(MAX_BODY),
        "http.max_json_depth", Integer.toString(MAX_DEPTH),
        "poll.timeout", "1"))) {
      String valid = node.issueToken("testdb", 1);
      String revoked = node.issueToken("testdb", 1);
      try (TokenTables admin = TokenTables.open(node.dataDir())) {
        assertThat(admin.revoke(AccessTokens.hash(revoked).substring(0, 16),
            System.currentTimeMillis())).isEqualTo(1);
      }
      RpcClient owner = new RpcClient(URI.create(node.baseUri() + "/t/" + valid));
      register(owner, "testdb", 1);
      register(owner, "testdb", 2);
      update(owner, "testdb", 1, Pos.updateOrder(1, "00001-001-0001", 1, 1, 1, "c1", 2));
      MultiSessionStatus before = node.node().pipeline().status(FUZZED).orElseThrow();
      long lastId = node.node().bus().lastId();

      FuzzInputs inputs = new FuzzInputs(FuzzInputs.goldenSeeds("/golden/transcript.jsonl"),
          MAX_BODY);
      long started = System.nanoTime();
      runLanes(node, inputs, new FuzzOracle(MAX_BODY, MAX_DEPTH, true), seed, 0, requests,
          started + Math.max(90_000L, requests * 4L) * 1_000_000L, false,
          req -> withoutValidToken(req, seed, revoked));
      System.out.printf("FuzzTest (token mode) seed=%d: %d requests in %.1f s, %d on a kept"
              + " connection, connections ended after: %s, answers: %s%n",
          seed, requests, (System.nanoTime() - started) / 1e9, keptAlive.sum(),
          new TreeMap<>(closes), new TreeMap<>(stats));

      SoftAssertions run = new SoftAssertions();
      run.assertThat(failures).as("%d bad answers (seed %d; shown: the first %d)",
          failureCount.get(), seed, MAX_REPORTED).isEmpty();
      run.assertThat(logs.faults()).as("ERROR or stack traces logged (seed %d)", seed).isEmpty();
      run.assertThat(node.node().bus().lastId()).as("no notification published").isEqualTo(lastId);
      run.assertThat(node.node().pipeline().status(FUZZED)).as("the multi-session is untouched")
          .contains(before);
      run.assertAll();

      // The owner's token still works, and so does a new one for another database.
      JsonObject again = update(owner, "testdb", 2,
          Pos.updateOrder(2, "00001-001-0001", 1, 1, 1, "c2", 3));
      assertThat(again.get("revision_ID").getAsLong()).isEqualTo(2);
      String fresh = node.issueToken("after-fuzz", 1);
      twoTerminalsStillSyncAnOrder(node,
          new RpcClient(URI.create(node.baseUri() + "/t/" + fresh)), "after-fuzz");
    } finally {
      logs.detach();
    }
  }

  /**
   * The request sent without a token, or under a forged, malformed or revoked one; request
   * {@code i} of a seed always gets the same. Raw garbage is left as it is.
   */
  private static FuzzInputs.Request withoutValidToken(FuzzInputs.Request req, long seed,
      String revoked) {
    if (req.raw() != null || !req.target().startsWith("/")) {
      return req;
    }
    SplittableRandom r = new SplittableRandom(seed * 31 + req.index());
    String prefix = switch (r.nextInt(4)) {
      case 0 -> "";
      case 1 -> "/t/" + AccessTokens.newSecret(); // well formed, never issued
      case 2 -> "/t/" + revoked;
      default -> "/t/" + "x".repeat(r.nextInt(16)); // too short to be a token
    };
    return new FuzzInputs.Request(req.index(), req.kind(), req.method(), prefix + req.target(),
        req.headers(), req.body(), req.framing(), req.wellFormed(), req.preflight(), false,
        req.raw());
  }


  /**
   * The admin listener under the same kind of abuse: odd methods, paths, encodings, credentials
   * and bodies. Answers are plain text or JSON there; what must hold is that every status is one
   * the listener documents, nothing behind the token is given without it, a refusal carries the
   * challenge, and nothing is logged as a fault.
   */
  @Test
  void theAdminListenerGivesNothingWithoutItsToken() throws Exception {
    long seed = Long.getLong("possync.fuzz.seed", new SecureRandom().nextLong());
    int requests = Integer.getInteger("possync.fuzz.admin", DEFAULT_ADMIN);
    System.out.println("FuzzTest (admin) seed=" + seed + " requests=" + requests);
    String adminToken = "fuzz-admin-" + Long.toHexString(seed);
    LogCapture logs = LogCapture.attach();
    try (TestNode node = TestNode.start(Map.of("admin.token", adminToken))) {
      int port = node.adminUri().getPort();
      Map<String, LongAdder> answers = new TreeMap<>();
      List<String> bad = new ArrayList<>();
      try (RawHttp http = new RawHttp(port, 5_000)) {
        for (int i = 0; i < requests && bad.size() < MAX_REPORTED; i++) {
          AdminRequest req = AdminRequest.generate(seed, i, adminToken);
          RawHttp.Answer a;
          try {
            // No retry: a kept connection ends only after an answer that says so (check()).
            a = http.exchange(req.wire(port), req.method().equals("HEAD"), READ_TIMEOUT_MS);
          } catch (IOException closed) {
            // Over Jetty's URI or header limits, Jetty answers 414/431 and closes at once, and
            // the client may still be writing: then it sees the reset, not the answer.
            answers.computeIfAbsent("closed", k -> new LongAdder()).increment();
            if (!req.overLimits()) {
              bad.add("seed=" + seed + " #" + i + " no answer: " + closed + "\n    request "
                  + FuzzInputs.shorten(req.wire(port), 400));
            }
            continue;
          }
          answers.computeIfAbsent(Integer.toString(a.status()), k -> new LongAdder()).increment();
          List<String> problems = req.check(a);
          if (!problems.isEmpty()) {
            bad.add("seed=" + seed + " #" + i + " " + problems + "\n    request "
                + FuzzInputs.shorten(req.wire(port), 400) + "\n    answer  " + a.statusLine() + " "
                + a.headers());
          }
        }
      }
      System.out.println("FuzzTest (admin) seed=" + seed + " answers by status: " + answers);
      SoftAssertions run = new SoftAssertions();
      run.assertThat(bad).as("bad admin answers (seed %d)", seed).isEmpty();
      run.assertThat(logs.faults()).as("ERROR or stack traces logged (seed %d)", seed).isEmpty();
      run.assertThat(answers).as("authorized requests got through").containsKey("200");
      run.assertAll();
    } finally {
      logs.detach();
    }
  }


  /** One request to the admin listener and what its answer may be. */
  private record AdminRequest(String method, String target, String authorization,
      boolean authorized, byte[] body) {
    private static final String[] PATHS = {AdminServer.STATUS_PATH, AdminServer.METRICS_PATH,
        AdminServer.HEALTH_PATH, AdminServer.READY_PATH, "/", "/index.html", "/app.js",
        "/style.css", "/nowhere", "/api/status/", "/api//status", "/API/STATUS", "/metrics?x=1"};
    private static final String[] ODD = {"/%2e%2e/api/status", "/api%2Fstatus", "/%00",
        "/%zz", "/..;/api/status", "/api/status;a=b", "/\u00e9", "/a/../api/status", "//metrics"};
    private static final String[] METHODS = {"GET", "GET", "GET", "HEAD", "POST", "PUT",
        "DELETE", "OPTIONS", "TRACE", "PATCH", "FOO"};

    static AdminRequest generate(long seed, int index, String token) {
      SplittableRandom r = new SplittableRandom(seed * 17 + index);
      String method = METHODS[r.nextInt(METHODS.length)];
      String target = r.nextInt(5) == 0 ? ODD[r.nextInt(ODD.length)]
          : r.nextInt(40) == 0 ? "/" + "a".repeat(1 + r.nextInt(20_000))
          : PATHS[r.nextInt(PATHS.length)];
      String b64 = java.util.Base64.getEncoder().encodeToString(
          ("admin:" + token).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      String authorization;
      boolean authorized = false;
      switch (r.nextInt(8)) {
        case 0 -> authorization = null;
        case 1 -> { authorization = "Basic " + b64; authorized = true; }
        case 2 -> { authorization = "Bearer " + token; authorized = true; }
        case 3 -> authorization = "Bearer " + token + "x";
        case 4 -> authorization = "Basic " + b64.substring(0, b64.length() - 2);
        case 5 -> authorization = "Basic %%%" + "=".repeat(r.nextInt(8));
        case 6 -> authorization = "Bearer " + token.substring(0, token.length() - 1);
        default -> authorization = "Digest " + "x".repeat(r.nextInt(9000));
      }
      byte[] body = r.nextInt(6) == 0 ? new byte[r.nextInt(70_000)] : null;
      if (body != null) {
        r.nextBytes(body);
      }
      return new AdminRequest(method, target, authorization, authorized, body);
    }

    /** Whether the request line or headers exceed Jetty's 8 KiB limits. */
    boolean overLimits() {
      return target.length() > 7_000
          || (authorization != null && authorization.length() > 7_000);
    }

    byte[] wire(int port) {
      StringBuilder head = new StringBuilder().append(method).append(' ').append(target)
          .append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port).append("\r\n");
      if (authorization != null) {
        head.append("Authorization: ").append(authorization).append("\r\n");
      }
      if (body != null) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("\r\n");
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      out.writeBytes(head.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (body != null) {
        out.writeBytes(body);
      }
      return out.toByteArray();
    }

    /** What is wrong with the answer, or an empty list. */
    List<String> check(RawHttp.Answer a) {
      List<String> problems = new ArrayList<>();
      int status = a.status();
      if (!Set.of(200, 400, 401, 404, 405, 414, 431, 503).contains(status)) {
        problems.add("undocumented status " + status);
      }
      String path = target.split("[?;]", 2)[0];
      boolean open = path.equals(AdminServer.HEALTH_PATH) || path.equals(AdminServer.READY_PATH);
      if (status == 200 && !authorized && !open) {
        problems.add("answered 200 without the token");
      }
      if (status == 200 && !(method.equals("GET") || method.equals("HEAD"))) {
        problems.add("answered 200 to " + method);
      }
      // Kept alive, but refusals end their connection (JettyHardening), as Jetty's own do.
      boolean closes = a.serverClosed() || "close".equalsIgnoreCase(a.header("connection"));
      boolean refusal = Set.of(400, 401, 405, 414, 431).contains(status);
      if (closes != refusal) {
        problems.add(closes ? "the connection was closed after a " + status
            : "the connection was kept open after the refusal " + status);
      }
      if (status == 401 && a.header("www-authenticate") == null) {
        problems.add("401 without a challenge");
      }
      if (status == 200 && path.equals(AdminServer.STATUS_PATH) && method.equals("GET")
          && FuzzOracle.strictParse(a.body(), 64) == null) {
        problems.add("/api/status is not JSON");
      }
      return problems;
    }
  }

  // --- sending ----------------------------------------------------------------------------

  private void runLanes(TestNode node, FuzzInputs inputs, FuzzOracle oracle, long seed, int first,
      int end, long deadline, boolean verbose, UnaryOperator<FuzzInputs.Request> dress)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger(first);
    BlockingQueue<FuzzInputs.Request> slow = new ArrayBlockingQueue<>(4096);
    AtomicBoolean producing = new AtomicBoolean(true);
    int port = node.port();
    Sender sender = new Sender(port, oracle, seed, verbose);

    List<Thread> mains = new ArrayList<>();
    for (int t = 0; t < MAIN_LANES; t++) {
      mains.add(start("fuzz-main-" + t, () -> {
        try (RawHttp http = new RawHttp(port, 5_000)) {
          while (System.nanoTime() < deadline) {
            int i = next.getAndIncrement();
            if (i >= end) {
              return;
            }
            FuzzInputs.Request req = dress.apply(inputs.generate(seed, i));
            if (req.mayPark()) {
              while (!slow.offer(req, 50, TimeUnit.MILLISECONDS)) {
                if (System.nanoTime() > deadline) {
                  return;
                }
              }
            } else {
              sender.send(http, req);
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
          fail("seed=" + seed + " fuzzer thread died: " + e);
        }
      }));
    }
    List<Thread> slows = new ArrayList<>();
    for (int t = 0; t < SLOW_LANES; t++) {
      slows.add(start("fuzz-slow-" + t, () -> {
        try (RawHttp http = new RawHttp(port, 5_000)) {
          while (System.nanoTime() < deadline) {
            FuzzInputs.Request req = slow.poll(50, TimeUnit.MILLISECONDS);
            if (req != null) {
              sender.send(http, req);
            } else if (!producing.get()) {
              return;
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
          fail("seed=" + seed + " fuzzer thread died: " + e);
        }
      }));
    }
    for (Thread t : mains) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000 + 20_000));
    }
    producing.set(false);
    for (Thread t : slows) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000 + 20_000));
    }
    if (next.get() < end || !slow.isEmpty() || System.nanoTime() > deadline) {
      fail("seed=" + seed + " the run did not finish in time: request " + next.get() + " of " + end
          + " taken, " + slow.size() + " polls still queued");
    }
  }

  private static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Sends one request and checks its answer; shared by all lanes. */
  private final class Sender {
    private final int port;
    private final FuzzOracle oracle;
    private final long seed;
    private final boolean verbose;

    Sender(int port, FuzzOracle oracle, long seed, boolean verbose) {
      this.port = port;
      this.oracle = oracle;
      this.seed = seed;
      this.verbose = verbose;
    }

    void send(RawHttp http, FuzzInputs.Request req) {
      long beaconLast = beacon.get() - 1;
      byte[] wire = req.wire(port, beaconLast);
      if (!req.wellFormed()) {
        try {
          RawHttp.Answer a = RawHttp.sendGarbage(port, wire, 10_000);
          count(req, a == null ? "closed" : Integer.toString(a.status()));
          // 501 (unknown transfer coding) and 505 (unknown HTTP version) are the client's doing.
          if (a != null && a.status() >= 500 && a.status() != 501 && a.status() != 505) {
            report(req, beaconLast, a, List.of("HTTP " + a.status() + " to a malformed request"));
          }
        } catch (IOException e) {
          report(req, beaconLast, null, List.of(e.toString()));
        }
        return;
      }
      byte[] body = FuzzInputs.replaceAscii(req.body(), FuzzInputs.BEACON_LAST,
          Long.toString(beaconLast));
      int timeout = READ_TIMEOUT_MS + (req.mayPark() ? 1_000 : 0);
      RawHttp.Answer a;
      String before = http.previous;
      int idleBefore = http.idleReopened;
      boolean reused = http.reused();
      try {
        // No retry: the server ends a kept connection only after an answer that says so
        // (FuzzOracle checks when that may be), so a kept socket found closed is a failure.
        a = http.exchange(wire, req.head(), timeout);
        if (http.idleReopened != idleBefore) {
          closes.computeIfAbsent("idle", k -> new LongAdder()).increment();
        } else if (reused) {
          keptAlive.increment();
        }
        http.previous = req.kind() + " " + req.method() + " " + a.status()
            + (req.framing() == FuzzInputs.Framing.CHUNKED ? " chunked" : "");
        http.remember(wire, a);
        if (!http.reused()) {
          closes.computeIfAbsent(FuzzOracle.clientCloses(req) ? "client" : Integer.toString(
              a.status()), k -> new LongAdder()).increment();
        } else if (FuzzOracle.clientCloses(req)) {
          // HTTP/1.0 without keep-alive: the server closes, maybe without saying so.
          closes.computeIfAbsent("client", k -> new LongAdder()).increment();
          http.close();
        }
      } catch (SocketTimeoutException e) {
        report(req, beaconLast, null, List.of("no answer within " + timeout + " ms"
            + (reused ? " on a kept connection after " + before : "")));
        return;
      } catch (IOException e) {
        report(req, beaconLast, null, List.of(e + (reused
            ? " on a kept connection after " + before + "\n    earlier on this socket:\n"
                + http.history() : "")));
        return;
      }
      count(req, Integer.toString(a.status()));
      List<String> problems = oracle.check(req, body, a);
      if (!problems.isEmpty()) {
        problems = new ArrayList<>(problems);
        problems.add("(previous on this socket: " + before + ")");
        problems.add("earlier on this socket:\n" + http.history());
        report(req, beaconLast, a, problems);
      } else if (verbose) {
        System.out.println(req.describe(port, beaconLast) + "\n  -> " + a.statusLine() + " "
            + FuzzInputs.shorten(a.body(), 2000));
      }
    }

    private void count(FuzzInputs.Request req, String status) {
      stats.computeIfAbsent(req.kind() + ":" + status, k -> new LongAdder()).increment();
    }

    private void report(FuzzInputs.Request req, long beaconLast, RawHttp.Answer a,
        List<String> problems) {
      String answer = a == null ? "(no answer)"
          : a.statusLine() + " " + a.headers() + " " + FuzzInputs.shorten(a.body(), 400);
      fail("seed=" + seed + " " + problems + "\n    request " + req.describe(port, beaconLast)
          + "\n    answer  " + answer);
    }
  }

  private void fail(String message) {
    if (failureCount.incrementAndGet() <= MAX_REPORTED) {
      failures.add(message);
    }
  }

  // --- the beacon -------------------------------------------------------------------------

  /**
   * A PING on a channel nobody else uses leaves one PONG there; polls steered to
   * {@code last = its id - 1} are answered at once. Renewed every second: the retention's byte
   * budget drops the oldest notifications first, and the fuzzer's broadcasts fill it in long runs.
   */
  private void refreshBeacon(RpcClient rpc) throws Exception {
    long previous = beacon.get();
    JsonObject ping = JsonParser.parseString(
        "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"fuzz-beacon\"}").getAsJsonObject();
    RpcClient.Answer pong = rpc.call(FuzzInputs.PING, ping);
    assertThat(pong.result().getAsInt()).isEqualTo(1);
    JsonArray channels = new JsonArray();
    channels.add(FuzzInputs.BEACON_CHANNEL);
    JsonObject poll = new JsonObject();
    poll.add("channels", channels);
    poll.addProperty("last", previous);
    poll.add("options", new JsonObject());
    JsonArray got = rpc.call(FuzzInputs.POLL, poll).result().getAsJsonArray();
    assertThat(got).isNotEmpty();
    beacon.set(got.get(got.size() - 1).getAsJsonObject().get("id").getAsLong());
  }

  /** Samples the bus counter: it may only grow, and must stay below 2^53. */
  private static final class BusWatch implements Runnable {
    final Bus bus;
    final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
    long previous;

    BusWatch(Bus bus) {
      this.bus = bus;
    }

    @Override
    public void run() {
      long now = bus.lastId();
      if (now < previous && problems.size() < 10) {
        problems.add("lastId went back from " + previous + " to " + now);
      }
      if (now > Bus.MAX_ID && problems.size() < 10) {
        problems.add("lastId " + now + " is above 2^53 - 1");
      }
      previous = Math.max(previous, now);
    }
  }

  // --- afterwards -------------------------------------------------------------------------

  /**
   * Two terminals of a new multi-session: register, one creates an order, both see its broadcast,
   * the other removes it, both see that; message_IDs consecutive on each terminal.
   */
  private static void twoTerminalsStillSyncAnOrder(TestNode node, RpcClient rpc, String db)
      throws Exception {
    long mid1 = register(rpc, db, 1);
    long mid2 = register(rpc, db, 2);
    long last = node.node().bus().lastId();

    JsonObject created = update(rpc, db, 1, Pos.updateOrder(1, "00001-001-0001", 1, 1, 1, "c1", 2));
    assertThat(created.get("action").getAsString()).isEqualTo("update_revision_ID");
    assertThat(created.get("revision_ID").getAsLong()).isEqualTo(1);
    assertThat(created.get("order_ID").getAsLong()).isEqualTo(1);
    JsonObject seen1 = onlyMessage(rpc, db, 1, last);
    JsonObject seen2 = onlyMessage(rpc, db, 2, last);
    for (JsonObject seen : List.of(seen1, seen2)) {
      assertThat(seen.get("action").getAsString()).isEqualTo("update_order");
      assertThat(seen.getAsJsonObject("data").get("uid").getAsString()).isEqualTo("00001-001-0001");
    }
    assertThat(messageId(seen1)).isEqualTo(mid1 + 1);
    assertThat(messageId(seen2)).isEqualTo(mid2 + 1);

    last = node.node().bus().lastId();
    JsonObject removed = update(rpc, db, 2, Pos.removeOrder(2, "00001-001-0001", 1, 1, "r1"));
    assertThat(removed.get("order_ID").getAsLong()).isEqualTo(1);
    JsonObject gone1 = onlyMessage(rpc, db, 1, last);
    JsonObject gone2 = onlyMessage(rpc, db, 2, last);
    assertThat(gone1.get("action").getAsString()).isEqualTo("remove_order");
    assertThat(messageId(gone1)).isEqualTo(mid1 + 2);
    assertThat(messageId(gone2)).isEqualTo(mid2 + 2);

    JsonObject sync = update(rpc, db, 1, Pos.syncAll(1, 1, true));
    assertThat(sync.getAsJsonObject("data").getAsJsonArray("orders")).isEmpty();
    assertThat(sync.getAsJsonObject("data").get("message_ID").getAsLong()).isEqualTo(mid1 + 3);
    assertThat(node.node().pipeline().status(new MultiSessionKey(db, 1)))
        .contains(new MultiSessionStatus(1, 1, 1, 0, 2));

    last = node.node().bus().lastId();
    JsonObject ping = JsonParser.parseString(
        "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"" + db + "\"}").getAsJsonObject();
    assertThat(rpc.call(FuzzInputs.PING, ping).result().getAsInt()).isEqualTo(1);
    JsonArray pong = rpc.call(FuzzInputs.POLL, Pos.poll(db, 1, last)).result().getAsJsonArray();
    assertThat(pong).hasSize(1);
    assertThat(pong.get(0).getAsJsonObject().get("message").getAsString()).isEqualTo("PONG");
  }

  private static long register(RpcClient rpc, String db, long posId) throws Exception {
    JsonObject r = update(rpc, db, posId, Pos.syncAll(posId, 1, true));
    assertThat(r.get("action").getAsString()).isEqualTo("sync_all");
    return r.getAsJsonObject("data").get("message_ID").getAsLong();
  }

  private static JsonObject update(RpcClient rpc, String db, long userId, JsonObject message)
      throws Exception {
    RpcClient.Answer a = rpc.call(FuzzInputs.UPDATE, Pos.update(db, 1, userId, message));
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.isError()).as("error %s", a.body()).isFalse();
    return a.result().getAsJsonObject();
  }

  /** The one multi-session message a terminal receives after {@code last}. */
  private static JsonObject onlyMessage(RpcClient rpc, String db, long posId, long last)
      throws Exception {
    JsonArray got = rpc.call(FuzzInputs.POLL, Pos.poll(db, posId, last)).result().getAsJsonArray();
    assertThat(got).as("notifications for pos %d after %d", posId, last).hasSize(1);
    return got.get(0).getAsJsonObject().getAsJsonObject("message");
  }

  private static long messageId(JsonObject message) {
    return message.getAsJsonObject("data").get("message_ID").getAsLong();
  }

  /**
   * The multi-session the fuzzer wrote to: an observer's full sync_all parses; every order listed
   * has a revision of at least 1 and the answer's message_ID and run; uids are unique; orders
   * still at revision 1 carry the number the server gave them, so those are unique too (a later
   * update_order may carry any number: the client owns the order's data). Returns the answer
   * without the observer's message_ID, to compare across a restart.
   */
  private static JsonObject fuzzedMultiSessionIsConsistent(TestNode node, RpcClient rpc, long run)
      throws Exception {
    JsonObject message = Pos.syncAll(900, run, true);
    message.getAsJsonObject("data").addProperty("nonce", "observer");
    RpcClient.Answer a = rpc.call(FuzzInputs.UPDATE, Pos.update("testdb", 1, 900, message));
    assertThat(a.isError()).as("sync_all of the fuzzed multi-session: %s", a.body()).isFalse();
    JsonObject result = a.result().getAsJsonObject();
    assertThat(result.get("action").getAsString()).isEqualTo("sync_all");
    JsonObject data = result.getAsJsonObject("data");
    long messageId = data.get("message_ID").getAsLong();
    MultiSessionStatus status = node.node().pipeline().status(FUZZED).orElseThrow();
    assertThat(status.runId()).isEqualTo(run);
    assertThat(status.drafts()).isBetween(0L, (long) status.orders());
    assertThat(data.get("order_ID").getAsLong()).isEqualTo(status.orderId());
    JsonArray orders = data.getAsJsonArray("orders");
    assertThat((long) orders.size()).isLessThanOrEqualTo(status.drafts());
    Set<String> uids = new HashSet<>();
    Set<BigDecimal> numbers = new HashSet<>();
    for (JsonElement o : orders) {
      JsonObject d = o.getAsJsonObject().getAsJsonObject("data");
      assertThat(uids.add(d.get("uid").getAsString())).as("uid unique: %s", d.get("uid")).isTrue();
      long revision = d.get("revision_ID").getAsLong();
      assertThat(revision).isGreaterThanOrEqualTo(1);
      assertThat(d.get("message_ID").getAsLong()).isEqualTo(messageId);
      assertThat(d.get("run_ID").getAsLong()).isEqualTo(run);
      d.remove("message_ID");
      if (revision == 1) {
        BigDecimal n = d.get("sequence_number").getAsBigDecimal();
        assertThat(numbers.add(n.stripTrailingZeros())).as("sequence_number %s unique", n).isTrue();
        assertThat(n.signum()).isPositive();
      }
    }
    data.remove("message_ID");
    return result;
  }
}
