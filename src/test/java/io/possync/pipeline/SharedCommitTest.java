package io.possync.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonPrimitive;
import io.possync.bus.InMemoryBus;
import io.possync.store.RevisionStep;
import io.possync.store.StaleRevisionException;
import io.possync.store.Store;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.Outcome;
import io.possync.time.ManualScheduler;
import io.possync.wire.Notification;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The writer of a cluster node (a shared store): an outcome decided on a copy of its
 * multi-session that failed since (an outcome decided before it there was not committed) is
 * refused as stale, never written, whatever revision it carries. Its revision counts the lost
 * decision, and when another node committed as many decisions meanwhile the store's revision
 * check alone would let it through: two orders got one number that way (ConcurrencyOnClusterTest).
 */
class SharedCommitTest {
  private static final MultiSessionKey SHOP = new MultiSessionKey("shop", 1);

  /** What the store was asked to commit: the revision steps of each transaction. */
  private final List<List<RevisionStep>> committed = new ArrayList<>();

  private final Store store = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(),
      new Class<?>[] {Store.class}, (proxy, method, args) -> switch (method.getName()) {
        case "shared" -> true;
        case "commitNumbered" -> {
          @SuppressWarnings("unchecked")
          List<RevisionStep> steps = (List<RevisionStep>) args[0];
          synchronized (committed) {
            committed.add(List.copyOf(steps));
          }
          yield List.<Notification>of();
        }
        case "close" -> null;
        default -> throw new UnsupportedOperationException(method.getName());
      });

  @Test
  void anOutcomeDecidedOnAFailedCopyIsRefusedAsStaleAndNotWritten() throws Exception {
    ManualScheduler time = new ManualScheduler();
    InMemoryBus bus = new InMemoryBus(time, Duration.ofMinutes(10), 1 << 20, 100);
    try (GroupCommitter writer = new GroupCommitter(store, bus, time.clock(), 100,
        CommitListener.NONE)) {
      CompletableFuture<Void> onFailedCopy = writer.accept(outcome(), new RevisionStep(SHOP, 5),
          () -> false);
      CompletableFuture<Void> onGoodCopy = writer.accept(outcome(), new RevisionStep(SHOP, 5),
          () -> true);

      onGoodCopy.get(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> onFailedCopy.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseInstanceOf(StaleRevisionException.class);
      synchronized (committed) {
        assertThat(committed).as("revision steps written").isNotEmpty()
            .allSatisfy(steps -> assertThat(steps).containsExactly(new RevisionStep(SHOP, 5)));
        assertThat(committed.stream().mapToInt(List::size).sum()).isEqualTo(1);
      }
    }
  }

  private static Outcome outcome() {
    return new Outcome(new JsonPrimitive(1), List.of());
  }
}
