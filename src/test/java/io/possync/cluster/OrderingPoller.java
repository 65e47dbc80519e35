package io.possync.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.testing.RpcClient;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The poll loop of terminals of a cluster without stickiness: each poll goes to a node picked at
 * random with the {@code last} id seen so far, and a poll that fails is sent again to another
 * node. It checks what a POS relies on: notification ids strictly increase across every answer of
 * every node, and each terminal's {@code message_ID}s follow each other without a gap. From the
 * {@code update_order} broadcasts it keeps each order's newest revision and step, the orders the
 * terminal would show.
 */
final class OrderingPoller implements Runnable {
  /** Longest a node may hold a poll (poll.timeout plus slack) before it counts as hung. */
  static final long POLL_BOUND_SECONDS = 20;

  private final List<RpcClient> nodes;
  private final JsonObject params;
  private final AtomicBoolean stop;
  private final Map<String, long[]> orders = new ConcurrentHashMap<>();
  private final Map<String, Long> messageIds = new HashMap<>();
  private final Queue<String> problems = new ConcurrentLinkedQueue<>();
  private final AtomicLong answers = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile long last;

  /**
   * @param channels the channels polled, e.g. {@code ["db","pos.multi_session","91"]} as JSON
   *                 text, of terminals registered beforehand
   */
  OrderingPoller(List<RpcClient> nodes, List<String> channels, AtomicBoolean stop) {
    this.nodes = List.copyOf(nodes);
    this.stop = stop;
    JsonArray wanted = new JsonArray();
    channels.forEach(wanted::add);
    params = new JsonObject();
    params.add("channels", wanted);
    params.add("options", new JsonObject());
  }

  @Override
  public void run() {
    int avoid = -1;
    while (!stop.get()) {
      int node = avoid < 0 ? ThreadLocalRandom.current().nextInt(nodes.size())
          : (avoid + 1 + ThreadLocalRandom.current().nextInt(nodes.size() - 1)) % nodes.size();
      params.addProperty("last", last);
      RpcClient.Answer answer;
      try {
        answer = nodes.get(node).callAsync("/longpolling/poll", params)
            .get(POLL_BOUND_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        failures.incrementAndGet();
        avoid = node;
        pause();
        continue;
      } catch (TimeoutException e) {
        problems.add("a poll on node " + node + " was not answered within "
            + POLL_BOUND_SECONDS + " s");
        avoid = node;
        continue;
      } catch (InterruptedException e) {
        return;
      }
      if (answer.isError()) {
        problems.add("poll refused by node " + node + ": " + answer.body());
        avoid = node;
        pause();
        continue;
      }
      avoid = -1;
      answers.incrementAndGet();
      for (JsonElement e : answer.result().getAsJsonArray()) {
        read(node, e.getAsJsonObject());
      }
    }
  }

  private void read(int node, JsonObject notification) {
    long id = notification.get("id").getAsLong();
    if (id <= last) {
      problems.add("id " + id + " from node " + node + " after id " + last);
      return;
    }
    last = id;
    String channel = notification.get("channel").getAsString();
    JsonObject message = notification.getAsJsonObject("message");
    JsonObject data = message.getAsJsonObject("data");
    if (data == null) {
      return;
    }
    JsonElement messageId = data.get("message_ID");
    if (messageId != null) {
      Long before = messageIds.put(channel, messageId.getAsLong());
      if (before != null && messageId.getAsLong() != before + 1) {
        problems.add("message_ID " + messageId + " after " + before + " on " + channel
            + " (id " + id + ", node " + node + ")");
      }
    }
    if ("update_order".equals(message.get("action").getAsString())) {
      long revision = data.get("revision_ID").getAsLong();
      long[] seen = orders.get(data.get("uid").getAsString());
      if (seen != null && seen[0] >= revision) {
        problems.add("revision " + revision + " of " + data.get("uid") + " after " + seen[0]);
      }
      JsonElement step = data.get("x_step"); // absent from orders a test sends itself
      orders.put(data.get("uid").getAsString(),
          new long[] {revision, step == null ? -1 : step.getAsLong()});
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50); // pacing before the retry on another node
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Each order this terminal was told of: its newest revision and step, as "revision/step". */
  Map<String, String> orders() {
    Map<String, String> out = new HashMap<>();
    orders.forEach((uid, v) -> out.put(uid, v[0] + "/" + v[1]));
    return out;
  }

  /** Id regressions, message_ID gaps, refused or hung polls. */
  List<String> problems() {
    return List.copyOf(problems);
  }

  long answers() {
    return answers.get();
  }

  long failures() {
    return failures.get();
  }
}
