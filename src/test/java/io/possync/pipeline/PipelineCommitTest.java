package io.possync.pipeline;

import static io.possync.testing.Pos.syncAll;
import static io.possync.testing.Pos.updateOrder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.bus.InMemoryBus;
import io.possync.outbox.OutboxPolicy;
import io.possync.store.SqliteStore;
import io.possync.store.Store;
import io.possync.store.StoreException;
import io.possync.sync.ConflictPolicy;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionRules;
import io.possync.sync.OrderRow;
import io.possync.sync.Terminals;
import io.possync.sync.UpdateRequest;
import io.possync.time.ManualScheduler;
import io.possync.wire.Channel;
import io.possync.wire.Notification;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline's commit path on a real SQLite store whose commits a test can hold and fail (a
 * full disk): nothing is answered or published before it is durable, a failed commit fails its
 * batch and everything queued behind it, and the multi-session is then reloaded from the store.
 */
class PipelineCommitTest {
  private static final MultiSessionKey SHOP = new MultiSessionKey("shop", 1);
  private static final String ORDER = "00001-001-0001";
  private static final long WAIT = 10;

  @TempDir
  Path dir;

  private SqliteStore real;
  private final ManualScheduler time = new ManualScheduler();
  private InMemoryBus bus;
  private GroupCommitter committer;
  private Pipeline pipeline;
  /** Counted down when a held commit has begun; the commit waits for {@link #release}. */
  private volatile CountDownLatch entered;
  private volatile CountDownLatch release;
  private volatile boolean failNext;

  @BeforeEach
  void start() {
    real = SqliteStore.open(dir, SqliteStore.SyncPolicy.PROCESS, 0);
    Clock clock = time.clock();
    bus = new InMemoryBus(time, Duration.ofMinutes(10), 1 << 20, 1000);
    committer = new GroupCommitter(faulty(real), bus, clock, 1000, CommitListener.NONE);
    startPipeline(1000);
  }

  private void startPipeline(int waiting) {
    Clock clock = time.clock();
    Terminals terminals = new Terminals();
    pipeline = new Pipeline(real, bus, committer,
        new MultiSessionRules(terminals, OutboxPolicy.NONE, ConflictPolicy.REJECT, clock),
        terminals, clock, Long.MAX_VALUE, 1000, waiting, DecisionListener.NONE);
  }

  @AfterEach
  void stop() {
    committer.close();
    real.close();
  }

  /** The real store, with commits that can be held ({@link #entered}) and failed ({@link #failNext}). */
  private Store faulty(Store delegate) {
    return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class},
        (proxy, method, args) -> {
          if (method.getName().equals("commit")) {
            CountDownLatch held = entered;
            if (held != null) {
              entered = null;
              held.countDown();
              release.await();
            }
            if (failNext) {
              failNext = false;
              throw new StoreException("no space left on device (injected)");
            }
          }
          try {
            return method.invoke(delegate, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private CompletableFuture<String> send(JsonObject message) {
    return pipeline.update(new UpdateRequest(SHOP.dbname(), SHOP.multiSessionId(), 1, message));
  }

  private JsonObject answer(JsonObject message) throws Exception {
    return JsonParser.parseString(send(message).get(WAIT, TimeUnit.SECONDS)).getAsJsonObject();
  }

  private CountDownLatch holdNextCommit() {
    release = new CountDownLatch(1);
    CountDownLatch e = new CountDownLatch(1);
    entered = e;
    return e;
  }

  /** What a poller asking after {@code last} would get now, without waiting. */
  private List<Notification> pollable(long last) throws Exception {
    CompletableFuture<List<Notification>> got = new CompletableFuture<>();
    pipeline.poll(List.of(Channel.multiSession("shop", 1).text()), last, true,
        Duration.ofSeconds(1), got::complete);
    return got.get(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void aFailedCommitFailsItsBatchAndWhatQueuedBehindAndTheMultiSessionIsReloaded()
      throws Exception {
    answer(syncAll(1, 1, true));
    assertThat(answer(updateOrder(1, ORDER, 1, 1, 1, "n1", 1)).get("revision_ID").getAsLong())
        .isEqualTo(1);
    long durableUpTo = bus.lastId();

    CountDownLatch committing = holdNextCommit();
    failNext = true;
    CompletableFuture<String> failing = send(updateOrder(1, ORDER, 1, 1, 1, "n2", 2));
    assertThat(committing.await(WAIT, TimeUnit.SECONDS)).isTrue();
    // Decided on top of the failing one, while it is being written: queued behind it.
    CompletableFuture<String> behind = send(updateOrder(1, ORDER, 1, 2, 1, "n3", 3));
    CompletableFuture<String> pong = pipeline.ping("shop", 1);
    release.countDown();

    for (CompletableFuture<String> f : List.of(failing, behind, pong)) {
      assertThatThrownBy(() -> f.get(WAIT, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(CommitFailedException.class);
    }
    assertThat(pollable(durableUpTo)).as("nothing of the failed batch is published").isEmpty();

    // Memory was ahead of the store (revision 3): reloaded, the order is at revision 1 again,
    // so an update based on it is accepted (under reject, a stale memory would refuse it).
    JsonObject retried = answer(updateOrder(1, ORDER, 1, 1, 1, "n4", 5));
    assertThat(retried.get("action").getAsString()).isEqualTo("update_revision_ID");
    assertThat(retried.get("revision_ID").getAsLong()).isEqualTo(2);
    OrderRow stored = real.loadMultiSession(SHOP).orElseThrow().orders().get(0);
    assertThat(stored.revision()).isEqualTo(2);
    assertThat(stored.message()).contains("\"nonce\":\"n4\"").doesNotContain("\"n2\"");
    assertThat(pollable(durableUpTo)).hasSize(1);
  }

  @Test
  void nothingIsAnsweredOrPublishedBeforeItIsDurable() throws Exception {
    answer(syncAll(1, 1, true));
    long before = bus.lastId();
    CountDownLatch committing = holdNextCommit();
    CompletableFuture<String> update = send(updateOrder(1, ORDER, 1, 1, 1, "n1", 1));
    assertThat(committing.await(WAIT, TimeUnit.SECONDS)).isTrue();
    assertThat(update).isNotDone();
    assertThat(pollable(before)).isEmpty();
    release.countDown();
    assertThat(update.get(WAIT, TimeUnit.SECONDS)).contains("update_revision_ID");
    assertThat(pollable(before)).hasSize(1);
  }

  @Test
  void aRequestWaitingForRoomInTheCommitQueueHoldsNoLock() throws Exception {
    startPipeline(1);
    answer(syncAll(1, 1, true));
    CountDownLatch committing = holdNextCommit();
    CompletableFuture<String> first = send(updateOrder(1, ORDER, 1, 1, 1, "n1", 1));
    assertThat(committing.await(WAIT, TimeUnit.SECONDS)).isTrue();
    // The queue's one place is taken: the next update waits to be admitted...
    CompletableFuture<String> second =
        CompletableFuture.supplyAsync(() -> send(updateOrder(1, "00001-001-0002", 2, 1, 1, "m1", 1)))
            .thenCompose(f -> f);
    // ...holding no lock: reading the multi-session, which takes its lock, still answers.
    assertThat(CompletableFuture.supplyAsync(() -> pipeline.status(SHOP))
        .get(WAIT, TimeUnit.SECONDS)).isPresent();
    assertThat(second).isNotDone();
    release.countDown();
    assertThat(first.get(WAIT, TimeUnit.SECONDS)).contains("update_revision_ID");
    assertThat(second.get(WAIT, TimeUnit.SECONDS)).contains("update_revision_ID");
    assertThat(pipeline.status(SHOP).orElseThrow().orders()).isEqualTo(2);
  }
}
