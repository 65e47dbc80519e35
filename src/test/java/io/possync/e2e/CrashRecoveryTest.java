package io.possync.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs PosSync as a separate process, drives terminals against it and kills it with SIGKILL at
 * random moments, then restarts it and checks that nothing acknowledged was lost.
 *
 * <p>{@code -Dpossync.crash.kills=N} sets the number of kills (default 20; the README describes a
 * longer run), {@code -Dpossync.crash.seed=S} replays a run.
 */
class CrashRecoveryTest {
  private static final String DB = "crashdb";
  private static final int SESSIONS = 2;
  private static final int WORKERS_PER_SESSION = 3;

  private ServerProcess server;

  @AfterEach
  void stopServer() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  /** What one worker knows about its order: the last acknowledged state, and any doubt. */
  private static final class Tracked {
    final long multiSessionId;
    final String uid;
    long ackedRevision;
    int ackedStep;
    /** A request was in flight at the kill: the server may or may not have it. */
    Integer uncertainStep;
    boolean created;
    /** The number the server gave the order; the client sends it back as a real POS does. */
    long sequence = 1;

    Tracked(long multiSessionId, String uid) {
      this.multiSessionId = multiSessionId;
      this.uid = uid;
    }
  }

  @Test
  void acknowledgedUpdatesSurviveRepeatedSigkill() throws Exception {
    int kills = Integer.getInteger("possync.crash.kills", 20);
    long seed = Long.getLong("possync.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("CrashRecoveryTest seed=" + seed + " kills=" + kills);
    Path dataDir = Files.createTempDirectory("possync-crash-");
    int port = ServerProcess.freePort();
    server = new ServerProcess(port, dataDir, List.of());
    RpcClient rpc = new RpcClient(URI.create("http://127.0.0.1:" + port),
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build());

    List<Tracked> tracked = new ArrayList<>();
    int nextOrder = 1;
    long highestIdSeen = 0;
    int unexpectedRevisionErrors = 0;

    for (int round = 1; round <= kills + 1; round++) {
      server.start();
      String ctx = "seed=" + seed + " round=" + round;

      // 1. Nothing acknowledged was lost.
      for (long ms = 1; ms <= SESSIONS; ms++) {
        Map<String, JsonObject> onServer = fullSync(rpc, ms);
        Set<Long> sequences = new HashSet<>();
        for (JsonObject o : onServer.values()) {
          assertThat(sequences.add(o.get("sequence_number").getAsLong()))
              .as("%s: sequence numbers unique in multi-session %d", ctx, ms).isTrue();
        }
        for (Tracked t : tracked) {
          if (t.multiSessionId != ms || !t.created) {
            continue;
          }
          JsonObject o = onServer.get(t.uid);
          assertThat(o).as("%s: acknowledged order %s present", ctx, t.uid).isNotNull();
          long revision = o.get("revision_ID").getAsLong();
          int step = o.get("x_step").getAsInt();
          t.sequence = o.get("sequence_number").getAsLong();
          if (t.uncertainStep != null && revision == t.ackedRevision + 1) {
            assertThat(step).as("%s: %s holds the in-flight update", ctx, t.uid)
                .isEqualTo(t.uncertainStep);
            t.ackedRevision = revision;
            t.ackedStep = step;
          } else {
            assertThat(revision).as("%s: revision of %s", ctx, t.uid).isEqualTo(t.ackedRevision);
            assertThat(step).as("%s: content of %s", ctx, t.uid).isEqualTo(t.ackedStep);
          }
          t.uncertainStep = null;
        }
      }
      for (Tracked t : tracked) {
        if (!t.created && t.uncertainStep != null) {
          // Its creation was in flight: the full sync shows whether the server has it.
          Map<String, JsonObject> onServer = fullSync(rpc, t.multiSessionId);
          if (onServer.containsKey(t.uid)) {
            t.created = true;
            t.ackedRevision = 1;
            t.sequence = onServer.get(t.uid).get("sequence_number").getAsLong();
            t.ackedStep = onServer.get(t.uid).get("x_step").getAsInt();
          }
          t.uncertainStep = null;
        }
      }

      // 2. Ids handed out after the restart exceed every id handed out before.
      long freshId = pingAndReadPongId(rpc);
      assertThat(freshId).as("%s: first id after restart", ctx).isGreaterThan(highestIdSeen);
      highestIdSeen = freshId;

      if (round == kills + 1) {
        break;
      }

      // 3. Drive: new orders and updates from several workers, then kill at a random moment.
      for (int i = 0; i < SESSIONS * WORKERS_PER_SESSION; i++) {
        tracked.add(new Tracked(1 + (i % SESSIONS), String.format("%05d-001-%04d", 100 + i,
            nextOrder)));
      }
      nextOrder++;
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(tracked.size());
      List<Future<Integer>> results = new ArrayList<>();
      for (Tracked t : tracked) {
        results.add(pool.submit(() -> drive(rpc, t, stop)));
      }
      // A terminal's poll loop records the ids handed out before the kill.
      long[] seenByPoller = {highestIdSeen};
      Thread poller = new Thread(() -> pollUntilDead(rpc, seenByPoller));
      poller.start();
      Thread.sleep(50 + random.nextInt(400));
      server.kill();
      stop.set(true);
      pool.shutdown();
      for (Future<Integer> f : results) {
        unexpectedRevisionErrors += f.get(30, TimeUnit.SECONDS);
      }
      poller.join(10_000);
      highestIdSeen = Math.max(highestIdSeen, seenByPoller[0]);
    }
    assertThat(unexpectedRevisionErrors)
        .as("revision errors a correct server would not give (seed=%d)", seed).isZero();
  }

  /**
   * Sends updates for one order until the server dies; returns the number of revision errors the
   * server should not have given. Each update carries its step in the opaque field x_step.
   */
  private static int drive(RpcClient rpc, Tracked t, AtomicBoolean stop) {
    int wrong = 0;
    while (!stop.get()) {
      int step = t.ackedStep + 1;
      long revision = t.created ? t.ackedRevision : 1;
      t.uncertainStep = step;
      JsonObject answer;
      try {
        answer = rpc.call("/pos_multi_session_sync/update", updateParams(t, revision, step))
            .result().getAsJsonObject();
      } catch (IOException | RuntimeException e) {
        return wrong; // the server is gone; this update stays uncertain
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return wrong;
      }
      t.uncertainStep = null;
      if ("update_revision_ID".equals(answer.get("action").getAsString())) {
        t.created = true;
        t.sequence = answer.get("order_ID").getAsLong();
        t.ackedRevision = answer.get("revision_ID").getAsLong();
        t.ackedStep = step;
      } else {
        wrong++;
        System.out.println("unexpected answer for " + t.uid + ": " + answer);
        return wrong;
      }
    }
    return wrong;
  }

  private static void pollUntilDead(RpcClient rpc, long[] highest) {
    StringBuilder channels = new StringBuilder();
    for (long ms = 1; ms <= SESSIONS; ms++) {
      channels.append(ms == 1 ? "" : ",").append("\"[\\\"").append(DB)
          .append("\\\",\\\"pos.multi_session\\\",\\\"").append(checkerPos(ms))
          .append("\\\"]\"");
    }
    while (true) {
      try {
        JsonArray got = rpc.call("/longpolling/poll", JsonParser.parseString(
            "{\"channels\":[" + channels + "],\"last\":" + highest[0] + "}"))
            .result().getAsJsonArray();
        for (JsonElement n : got) {
          long id = n.getAsJsonObject().get("id").getAsLong();
          assertThat(id).isGreaterThan(highest[0]);
          highest[0] = id;
        }
      } catch (IOException | RuntimeException e) {
        return;
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static long checkerPos(long multiSessionId) {
    return 90 + multiSessionId;
  }

  private static JsonObject updateParams(Tracked t, long revision, int step) {
    JsonObject data = new JsonObject();
    data.addProperty("uid", t.uid);
    data.addProperty("sequence_number", t.sequence);
    data.addProperty("revision_ID", revision);
    data.addProperty("run_ID", 1);
    data.add("lines", new JsonArray());
    data.addProperty("x_step", step);
    data.addProperty("pos_id", 1);
    data.addProperty("nonce", t.uid + "/" + step);
    JsonObject message = new JsonObject();
    message.addProperty("action", "update_order");
    message.add("data", data);
    message.addProperty("session_id", 1);
    message.addProperty("login_number", 1);
    return params(t.multiSessionId, message);
  }

  private static Map<String, JsonObject> fullSync(RpcClient rpc, long multiSessionId)
      throws Exception {
    JsonObject message = JsonParser.parseString("{\"action\":\"sync_all\",\"data\":{\"run_ID\":1,"
        + "\"pos_id\":" + checkerPos(multiSessionId) + ",\"nonce\":\"check\"},"
        + "\"immediate_rerendering\":true,\"session_id\":9,\"login_number\":1}").getAsJsonObject();
    JsonElement result = rpc.call("/pos_multi_session_sync/update", params(multiSessionId, message))
        .result();
    Map<String, JsonObject> orders = new HashMap<>();
    for (JsonElement o : result.getAsJsonObject().getAsJsonObject("data").getAsJsonArray("orders")) {
      JsonObject data = o.getAsJsonObject().getAsJsonObject("data");
      orders.put(data.get("uid").getAsString(), data);
    }
    return orders;
  }

  private static long pingAndReadPongId(RpcClient rpc) throws Exception {
    rpc.call("/pos_longpolling/update",
        JsonParser.parseString("{\"message\":\"PING\",\"pos_id\":99,\"db_name\":\"" + DB + "\"}"));
    JsonArray got = rpc.call("/longpolling/poll", JsonParser.parseString(
        "{\"channels\":[\"[\\\"" + DB + "\\\",\\\"pos.longpolling\\\",\\\"99\\\"]\"],\"last\":0}"))
        .result().getAsJsonArray();
    long max = 0;
    for (JsonElement n : got) {
      max = Math.max(max, n.getAsJsonObject().get("id").getAsLong());
    }
    return max;
  }

  private static JsonObject params(long multiSessionId, JsonObject message) {
    JsonObject p = new JsonObject();
    p.addProperty("multi_session_id", multiSessionId);
    p.addProperty("dbname", DB);
    p.addProperty("user_ID", 1);
    p.add("message", message);
    return p;
  }
}
