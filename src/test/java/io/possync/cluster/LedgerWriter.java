package io.possync.cluster;

import com.google.gson.JsonObject;
import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A POS that edits its own orders through a cluster without stickiness, keeping a ledger of what
 * the cluster acknowledged: each request goes to a node picked at random, and one that fails (the
 * node died, refused, or did not answer) is sent again, unchanged, to another node, as a POS that
 * reconnects would. An update is counted as acknowledged only when its answer says so; one whose
 * answer was lost stays in doubt until a retry settles it (its nonce makes a retry of an update
 * that was in fact stored a replay, answered with an empty action).
 *
 * <p>Every update carries its step number in the opaque field {@code x_step}, so the final state
 * shows which update an order holds. Each request's outcome is logged as an {@link Attempt}, so
 * a test can ask what was answered while something was broken.
 */
final class LedgerWriter implements Runnable {
  /** What the cluster acknowledged for one order. */
  record Acked(long multiSessionId, String uid, long revision, int step) {}

  /** One request and how it ended: {@code acked}, {@code replay}, an error name, or a failure. */
  record Attempt(long sentNanos, long answeredNanos, int node, String outcome) {}

  /** Outcome of a request that reached no node, or whose connection broke. */
  static final String UNREACHABLE = "unreachable";
  /** Outcome of a request not answered within {@link #REQUEST_TIMEOUT_SECONDS}. */
  static final String NO_ANSWER = "no_answer";

  /** Longest a node may take to answer one update: beyond it the request counts as hung. */
  static final long REQUEST_TIMEOUT_SECONDS = 20;

  private final String db;
  private final long multiSessionId;
  private final long posId;
  private final List<RpcClient> nodes;
  private final int stepsPerOrder;
  private final long pauseMillis;
  private final long stepBoundMillis;
  private final AtomicBoolean stop;
  private final Map<String, Acked> ledger = new ConcurrentHashMap<>();
  private final Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
  private final Queue<String> problems = new ConcurrentLinkedQueue<>();
  private final Set<String> renumbered = ConcurrentHashMap.newKeySet();

  /** The attempts of the current order, for the message of a problem. */
  private final List<String> history = new ArrayList<>();
  private String uid;
  private int orders;
  private boolean created;
  private long revision;
  private int step;
  private long sequence = 1;

  /**
   * @param posId          the POS config this writer is; its orders' uids start with it
   * @param stepsPerOrder  updates of one order before the writer starts the next
   * @param pauseMillis    pause between two acknowledged updates (pacing)
   * @param stepBoundMillis longest one update may take to be acknowledged, retries included
   * @param stop           set to end the loop once the update under way is acknowledged
   */
  LedgerWriter(String db, long multiSessionId, long posId, List<RpcClient> nodes,
      int stepsPerOrder, long pauseMillis, long stepBoundMillis, AtomicBoolean stop) {
    this.db = db;
    this.multiSessionId = multiSessionId;
    this.posId = posId;
    this.nodes = List.copyOf(nodes);
    this.stepsPerOrder = stepsPerOrder;
    this.pauseMillis = pauseMillis;
    this.stepBoundMillis = stepBoundMillis;
    this.stop = stop;
  }

  /** Writes until {@code stop} is set; the update under way at that moment is seen through. */
  @Override
  public void run() {
    try {
      while (!stop.get() && problems.isEmpty()) {
        if (uid == null || step >= stepsPerOrder) {
          orders++;
          uid = String.format("%05d-001-%04d", posId, orders);
          created = false;
          history.clear();
          step = 0;
          sequence = 1;
        }
        if (!writeNextStep()) {
          return;
        }
        Thread.sleep(pauseMillis); // pacing: a cashier's pace, not a benchmark
      }
    } catch (InterruptedException e) {
      problems.add(posId + ": interrupted");
    }
  }

  /** Sends the next update of the current order until a node acknowledges it. */
  private boolean writeNextStep() throws InterruptedException {
    int next = step + 1;
    long base = created ? revision : 1;
    JsonObject message = Pos.updateOrder(posId, uid, sequence, base, 1, uid + "/" + next, next);
    message.getAsJsonObject("data").addProperty("x_step", next);
    JsonObject params = Pos.update(db, multiSessionId, posId, message);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stepBoundMillis);
    int avoid = -1;
    while (System.nanoTime() < deadline) {
      if (avoid >= 0 && next == 1) {
        renumbered.add(uid); // sent again: if the first was stored, this one is an update
      }
      int node = pick(avoid);
      long sent = System.nanoTime();
      RpcClient.Answer answer;
      try {
        answer = nodes.get(node).callAsync("/pos_multi_session_sync/update", params)
            .get(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        attempts.add(new Attempt(sent, System.nanoTime(), node, UNREACHABLE));
        history.add(next + "@" + node + ":" + UNREACHABLE);
        avoid = node;
        Thread.sleep(50); // pacing before the retry on another node
        continue;
      } catch (TimeoutException e) {
        attempts.add(new Attempt(sent, System.nanoTime(), node, NO_ANSWER));
        history.add(next + "@" + node + ":" + NO_ANSWER);
        avoid = node;
        continue;
      }
      long answered = System.nanoTime();
      history.add(next + "@" + node + ":" + (answer.isError() ? "error"
          : answer.result().toString()));
      if (answer.isError()) {
        String name = answer.error().getAsJsonObject("data").get("name").getAsString();
        attempts.add(new Attempt(sent, answered, node, name));
        avoid = node;
        Thread.sleep(100); // a refusal: the POS retries a little later, elsewhere
        continue;
      }
      JsonObject result = answer.result().getAsJsonObject();
      String action = result.get("action").getAsString();
      if ("update_revision_ID".equals(action)) {
        attempts.add(new Attempt(sent, answered, node, "acked"));
        created = true;
        revision = result.get("revision_ID").getAsLong();
        sequence = result.get("order_ID").getAsLong();
      } else if ("".equals(action) && created) {
        // A replay: the update was stored by an attempt whose answer was lost.
        attempts.add(new Attempt(sent, answered, node, "replay"));
        revision = base + 1;
      } else {
        problems.add("unexpected answer for " + uid + " step " + next + " on node " + node + ": "
            + answer.body() + "; attempts of its order: " + history);
        return false;
      }
      step = next;
      ledger.put(uid, new Acked(multiSessionId, uid, revision, step));
      return true;
    }
    problems.add("update " + next + " of " + uid + " not acknowledged within " + stepBoundMillis
        + " ms");
    return false;
  }

  /** A node at random, another than {@code avoid} (the one that just failed) when there is one. */
  private int pick(int avoid) {
    int n = nodes.size();
    if (avoid < 0 || n == 1) {
      return ThreadLocalRandom.current().nextInt(n);
    }
    return (avoid + 1 + ThreadLocalRandom.current().nextInt(n - 1)) % n;
  }

  /** The last acknowledged state of every order of this writer, by uid. */
  Map<String, Acked> ledger() {
    return Map.copyOf(ledger);
  }

  List<Attempt> attempts() {
    return List.copyOf(attempts);
  }

  /**
   * Orders whose creation was sent more than once: if the first was stored, the second, an
   * update, replaced the number the server gave by the one sent.
   */
  Set<String> renumbered() {
    return Set.copyOf(renumbered);
  }

  /** What went wrong: answers a correct cluster does not give, updates never acknowledged. */
  List<String> problems() {
    return List.copyOf(problems);
  }
}
