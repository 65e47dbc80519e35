package io.possync.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.time.ManualScheduler;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A cluster node's bus catching up with what other nodes committed, driven by hand: the shared
 * table is a list, the follower's catch-up is called directly. Without a sticky load balancer a
 * terminal polls a node with a {@code last} it learnt from another node, which this node may not
 * have mirrored yet.
 */
class ClusterBusMirrorTest {
  private static final String POS1 = "[\"shop\",\"pos.multi_session\",\"1\"]";

  private final ManualScheduler timers = new ManualScheduler(Instant.parse("2024-03-01T08:00:00Z"));
  private final List<Notification> table = new ArrayList<>();
  private final BusFeed feed = new BusFeed() {
    @Override
    public List<Notification> after(long after, int limit) {
      return table.stream().filter(n -> n.id() > after).limit(limit).toList();
    }

    @Override
    public long await(Duration timeout) {
      return -1;
    }

    @Override
    public long raise(long id) {
      return Math.max(id, table.isEmpty() ? 0 : table.get(table.size() - 1).id());
    }
  };
  private final ClusterBus bus = new ClusterBus(
      new InMemoryBus(timers, Duration.ofSeconds(600), 1 << 20, 100), feed);

  @Test
  void aPollAheadOfTheMirrorWaitsForNewsInsteadOfAnsweringEmptyWhenTheMirrorCatchesUp() {
    bus.restore(0, List.of());
    commitElsewhere("one");
    commitElsewhere("two");
    // A terminal that saw id 2 through another node polls this one, which has not mirrored it.
    List<List<Notification>> answers = new ArrayList<>();
    bus.poll(List.of(POS1), 2, false, Duration.ofSeconds(50), answers::add);
    assertThat(bus.heldPolls()).isEqualTo(1);

    bus.catchUp(); // ids 1 and 2 arrive here: the poll has seen them
    assertThat(answers).as("answers before anything new").isEmpty();
    assertThat(bus.heldPolls()).isEqualTo(1);

    commitElsewhere("three");
    bus.catchUp();
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0)).extracting(Notification::id).containsExactly(3L);
  }

  private void commitElsewhere(String text) {
    table.add(Notification.of(table.size() + 1, new Outgoing(POS1, "\"" + text + "\""),
        timers.clock().millis()));
  }
}
