package io.possync.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.e2e.PosSyncScript.Step;
import io.possync.testing.RpcClient;
import io.possync.testing.RpcClient.Answer;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;

/**
 * Replays {@link PosSyncScript} steps against a running PosSync over real HTTP, in order, and
 * checks every answer. Long polls are sent asynchronously and awaited right after the step their
 * title names (else at once), so that later publishes cannot be batched into them; the next step
 * is sent only once the server has taken the poll, so PosSync sees the requests in file order.
 *
 * <p>Each server of the transcript ({@code S} steps, {@code P} steps) gets a fresh node, or a fresh
 * cluster whose every request goes to a node picked at random ({@link ReplayServer}); there a
 * step goes out once every node mirrors what the steps before it committed, so the cluster too
 * sees the requests in file order (how a node that lags answers is ClusterBusMirrorTest's).
 * Between any two steps a {@link BetweenSteps} hook runs; it
 * may {@link #restartServer() restart} the node (the replay keeps its learnt notification ids,
 * which must survive restarts, §4.4).
 */
final class GoldenReplay implements AutoCloseable {

  /** Starts the PosSync for one server of the transcript ({@code "S"} or {@code "P"}). */
  @FunctionalInterface
  interface ServerFactory {
    ReplayServer start(String server) throws Exception;
  }

  /**
   * Runs between two consecutive steps. Long polls of earlier steps may still be held by the
   * server (e.g. between S5 and S7); {@link #restartServer()} sends them again.
   */
  @FunctionalInterface
  interface BetweenSteps {
    void run(Step done, Step next, GoldenReplay replay) throws Exception;
  }

  /** How long an awaited poll may still take (the node's poll timeout is 2 s). */
  private static final Duration POLL_ANSWER_BOUND = Duration.ofSeconds(10);

  private record PendingPoll(Step step, CompletableFuture<Answer> answer, Optional<String> due) {}

  private final ServerFactory servers;
  private final BetweenSteps between;
  private final List<PendingPoll> pending = new ArrayList<>();

  // The server the current step belongs to, and what was learnt on it.
  private String server;
  /** The PosSync playing it. */
  private ReplayServer serving;
  private NotificationIds ids;
  private DeliveredNotifications delivered;

  GoldenReplay(ServerFactory servers, BetweenSteps between) {
    this.servers = servers;
    this.between = between;
  }

  /** Replays the steps in order; fails at the first answer that differs. */
  void run(List<Step> steps) throws Exception {
    Step previous = null;
    for (Step step : steps) {
      if (previous != null) {
        between.run(previous, step, this);
      }
      useServer(step);
      // On a cluster, every node first mirrors what the steps before committed: a poll answered
      // at once would miss the newest of it, and a held one get it together with this step's.
      serving.settle();
      if (step.exchange().isPoll()) {
        sendPoll(step);
      } else {
        long start = System.nanoTime();
        Answer answer = serving.client().post(step.exchange().path(),
            step.exchange().request().toString(), step.exchange().headers());
        check(step, answer, Duration.ofNanos(System.nanoTime() - start));
      }
      awaitPollsDueAfter(step.id());
      previous = step;
    }
    assertThat(pending).as("long polls never awaited (their step was not in the transcript)")
        .extracting(p -> p.step().label()).isEmpty();
  }

  /**
   * Restarts the current node on the same port and data directory, as an operator would. A
   * stopping node answers the long polls it holds with nothing; like the POS, the replay then
   * polls again with the same {@code last}, and a durable server must answer as if nothing had
   * happened (§4.4, §6 item 21).
   */
  void restartServer() throws Exception {
    serving.restart();
    for (int i = 0; i < pending.size(); i++) {
      PendingPoll poll = pending.get(i);
      try {
        Answer early = poll.answer().get(POLL_ANSWER_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        JsonElement result = early.isError() ? null : early.result();
        if (result != null && result.isJsonArray() && !result.getAsJsonArray().isEmpty()) {
          continue; // answered with news before the restart; keep that answer
        }
      } catch (ExecutionException droppedByTheRestart) {
        // the POS re-polls after an error too
      }
      PendingPoll again = sendPollRequest(poll.step());
      pending.set(i, again);
    }
  }

  @Override
  public void close() throws Exception {
    pending.forEach(p -> p.answer().cancel(true));
    if (serving != null) {
      serving.close();
      serving = null;
    }
  }

  private void useServer(Step step) throws Exception {
    String wanted = step.exchange().server();
    if (wanted.equals(server)) {
      return;
    }
    assertThat(pending).as(step.label() + ": long polls pending on server " + server)
        .extracting(p -> p.step().label()).isEmpty();
    if (serving != null) {
      serving.close();
    }
    server = wanted;
    serving = servers.start(wanted);
    ids = new NotificationIds(); // a fresh server numbers from scratch
    delivered = new DeliveredNotifications();
  }

  private void sendPoll(Step step) throws Exception {
    PendingPoll poll = sendPollRequest(step);
    if (poll.due().isEmpty()) {
      await(poll);
    } else {
      pending.add(poll);
    }
  }

  private PendingPoll sendPollRequest(Step step) {
    JsonObject request = step.exchange().request().deepCopy();
    JsonObject params = request.getAsJsonObject("params");
    BigDecimal referenceLast = params.get("last").getAsBigDecimal();
    params.addProperty("last", ids.translate(referenceLast));
    int heldBefore = serving.heldPolls();
    PendingPoll poll = new PendingPoll(step,
        serving.client().postAsync(step.exchange().path(), request.toString(),
            step.exchange().headers()),
        step.exchange().awaitAfter());
    // The reference received the requests in file order; so must PosSync. The next request goes
    // out only once the server has taken this poll (answered it, or parked it until a publish).
    // Otherwise a poll overtaken by the next update would get that update's broadcast too.
    Awaitility.await(step.label() + ": the server takes the long poll")
        .atMost(POLL_ANSWER_BOUND).pollInterval(Duration.ofMillis(1))
        .until(() -> poll.answer().isDone() || serving.heldPolls() > heldBefore);
    return poll;
  }

  private void awaitPollsDueAfter(String stepId) throws Exception {
    Iterator<PendingPoll> it = pending.iterator();
    while (it.hasNext()) {
      PendingPoll poll = it.next();
      if (poll.due().get().equals(stepId)) {
        it.remove();
        await(poll);
      }
    }
  }

  private void await(PendingPoll poll) throws Exception {
    Answer answer;
    try {
      answer = poll.answer().get(POLL_ANSWER_BOUND.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(poll.step().label() + ": no answer within "
          + POLL_ANSWER_BOUND.toSeconds() + " s" + poll.due().map(s -> " after " + s).orElse(""));
    } catch (ExecutionException e) {
      throw new AssertionError(poll.step().label() + ": request failed: " + e.getCause(),
          e.getCause());
    }
    check(poll.step(), answer, null);
  }

  // --- checking ---------------------------------------------------------------------------

  private void check(Step step, Answer answer, Duration took) {
    String label = step.label();
    if (step.answersWithin() != null) {
      assertThat(took).as(label + ": answer time").isLessThanOrEqualTo(step.answersWithin());
    }
    Expectation expected = step.expectation().apply(delivered);
    if (expected instanceof Expectation.ServerError) {
      checkServerError(step, answer);
    } else if (expected instanceof Expectation.Answer a) {
      checkAnswer(step, a, answer);
    } else {
      throw new IllegalStateException(label + ": unknown expectation " + expected);
    }
  }

  private void checkAnswer(Step step, Expectation.Answer expected, Answer answer) {
    String label = step.label();
    JsonElement want = expected.body().deepCopy();
    JsonElement got = answer.body().deepCopy();
    for (String path : expected.ignored()) {
      removeMember(want, path);
      removeMember(got, path);
    }
    // Poll answers: notification ids are compared for order, not value; the rest is compared
    // exactly, once the ids are taken out.
    boolean poll = step.exchange().isPoll();
    List<JsonObject> wantNotifications = poll ? notifications(want) : List.of();
    List<JsonObject> gotNotifications = poll ? notifications(got) : List.of();
    List<BigDecimal> positions = new ArrayList<>();
    for (JsonObject n : wantNotifications) {
      positions.add(n.remove("id").getAsBigDecimal());
    }
    List<Long> posSyncIds = new ArrayList<>();
    for (JsonObject n : gotNotifications) {
      JsonElement id = n.remove("id");
      assertThat(id).as(label + ": notification without an id in " + answer.body()).isNotNull();
      posSyncIds.add(id.getAsLong());
    }
    List<String> differences = new ArrayList<>();
    if (answer.status() != expected.status()) {
      differences.add("HTTP status: expected " + expected.status() + ", got " + answer.status());
    }
    differences.addAll(JsonDiff.between(want, got));
    if (!differences.isEmpty()) {
      fail(label + ": the answer differs from the expected one\n  "
          + String.join("\n  ", differences)
          + "\n  expected: " + abbreviate(expected.body())
          + "\n  got:      " + abbreviate(answer.body()));
    }
    for (int i = 1; i < posSyncIds.size(); i++) {
      assertThat(posSyncIds.get(i)).as(label + ": ids must strictly increase within an answer: "
          + posSyncIds).isGreaterThan(posSyncIds.get(i - 1));
    }
    for (int i = 0; i < positions.size(); i++) {
      ids.learn(positions.get(i), posSyncIds.get(i), label);
      delivered.record(positions.get(i), wantNotifications.get(i));
    }
  }

  private void checkServerError(Step step, Answer answer) {
    String label = step.label() + ": error envelope " + answer.body();
    assertThat(answer.status()).as(label + ": HTTP status").isEqualTo(200);
    JsonObject body = answer.body().getAsJsonObject();
    assertThat(body.get("jsonrpc")).as(label + ": jsonrpc").isEqualTo(body("\"2.0\""));
    assertThat(body.get("id")).as(label + ": id echoed")
        .isEqualTo(step.exchange().request().get("id"));
    assertThat(body.has("result")).as(label + ": no result beside the error").isFalse();
    JsonObject error = body.getAsJsonObject("error");
    assertThat(error).as(label + ": error").isNotNull();
    assertThat(error.get("code")).as(label + ": error.code").isEqualTo(body("200"));
    assertThat(error.get("message")).as(label + ": error.message")
        .isEqualTo(body("\"Odoo Server Error\""));
    assertThat(error.get("data")).as(label + ": error.data must be an object (§2.5)")
        .matches(JsonElement::isJsonObject);
    JsonObject data = error.getAsJsonObject("data");
    // A non-empty name not starting with "NotFound" puts the POS offline, as the reference's
    // error does; an empty one would make it resync instead (§2.5).
    assertThat(string(data, "name", label)).as(label + ": error.data.name")
        .isNotEmpty().doesNotStartWith("NotFound");
    string(data, "message", label);
    string(data, "exception_type", label);
    assertThat(data.get("arguments")).as(label + ": error.data.arguments must be an array")
        .matches(a -> a != null && a.isJsonArray());
  }

  private static String string(JsonObject o, String key, String label) {
    JsonElement e = o.get(key);
    assertThat(e).as(label + ": error.data." + key + " must be a string")
        .matches(x -> x != null && x.isJsonPrimitive() && x.getAsJsonPrimitive().isString());
    return e.getAsString();
  }

  private static JsonElement body(String json) {
    return JsonParser.parseString(json);
  }

  /** The notifications of a poll answer: {@code result}, or {@code result.notifications} (peek). */
  private static List<JsonObject> notifications(JsonElement body) {
    List<JsonObject> out = new ArrayList<>();
    if (!body.isJsonObject()) {
      return out;
    }
    JsonElement result = body.getAsJsonObject().get("result");
    JsonArray list = null;
    if (result != null && result.isJsonArray()) {
      list = result.getAsJsonArray();
    } else if (result != null && result.isJsonObject()
        && result.getAsJsonObject().get("notifications") instanceof JsonArray a) {
      list = a;
    }
    if (list != null) {
      for (JsonElement n : list) {
        if (n.isJsonObject()) {
          out.add(n.getAsJsonObject());
        }
      }
    }
    return out;
  }

  /** Whole answers can be long (sync_all payloads); the differences above say what matters. */
  private static String abbreviate(JsonElement body) {
    String text = body.toString();
    return text.length() <= 1500 ? text
        : text.substring(0, 1500) + " … (" + text.length() + " chars)";
  }

  /** Removes {@code a.b.c} from a tree if it is there. */
  private static void removeMember(JsonElement root, String dottedPath) {
    String[] parts = dottedPath.split("\\.");
    JsonElement at = root;
    for (int i = 0; i < parts.length - 1 && at != null; i++) {
      at = at.isJsonObject() ? at.getAsJsonObject().get(parts[i]) : null;
    }
    if (at != null && at.isJsonObject()) {
      at.getAsJsonObject().remove(parts[parts.length - 1]);
    }
  }
}
