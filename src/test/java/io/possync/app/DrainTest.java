package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A stopping node drains (http.drain): held polls are answered at once, polls sent during the
 * drain are answered at once instead of being held, updates are still taken, and only then does
 * the listener close. A rolling restart so costs terminals nothing: none waits for its own
 * timeout on a poll the closing listener swallowed.
 */
class DrainTest {
  private static final String DB = "odoo12";

  @Test
  void aStoppingNodeAnswersHeldAndNewPollsAtOnceThenCloses() throws Exception {
    TestNode node = TestNode.start(Map.of("http.drain", "3", "poll.timeout", "30"));
    RpcClient rpc = new RpcClient(node.baseUri());
    rpc.call("/pos_multi_session_sync/update", Pos.update(DB, 1, 2, Pos.syncAll(1, 1, false)));
    long last = 0;
    for (var e : rpc.call("/longpolling/poll", Pos.poll(DB, 1, 0)).result().getAsJsonArray()) {
      last = Math.max(last, e.getAsJsonObject().get("id").getAsLong());
    }
    long seen = last;
    CompletableFuture<RpcClient.Answer> held = rpc.callAsync("/longpolling/poll",
        Pos.poll(DB, 1, last));
    Thread.sleep(300); // pacing: the poll is parked by now
    assertThat(held).isNotDone();

    long stopAsked = System.nanoTime();
    CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
      try {
        node.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    RpcClient.Answer released = held.get(2, TimeUnit.SECONDS);
    assertThat(released.status()).isEqualTo(200);
    assertThat(millisSince(stopAsked)).as("held poll answered at the start of the drain")
        .isLessThan(1500);

    long sent = System.nanoTime();
    RpcClient.Answer during = rpc.call("/longpolling/poll", Pos.poll(DB, 1, last));
    assertThat(during.status()).isEqualTo(200);
    assertThat(during.result().getAsJsonArray()).isEmpty();
    assertThat(millisSince(sent)).as("a poll during the drain is not held").isLessThan(1000);
    RpcClient.Answer update = rpc.call("/pos_multi_session_sync/update", Pos.update(DB, 1, 2,
        Pos.updateOrder(1, "o1", 1, 1, 1, "n1", 1)));
    assertThat(update.isError()).as("updates are still taken: %s", update.body()).isFalse();
    assertThat(stopped).as("the listener stays open for the drain").isNotDone();

    stopped.get(10, TimeUnit.SECONDS);
    assertThat(millisSince(stopAsked)).as("closed after the drain").isGreaterThanOrEqualTo(2900);
    assertThatThrownBy(() -> rpc.call("/longpolling/poll", Pos.poll(DB, 1, seen)))
        .isInstanceOf(IOException.class);
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
