package io.possync.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.possync.time.ManualScheduler;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The in-memory bus (docs/protocol.md §3.2, §4): ids, the first-poll
 * window, {@code last}, parked polls, bounds and retention, published the way the commit
 * writer does. Time and timers are a {@link ManualScheduler}'s, so nothing waits for real time.
 * Concurrent use: {@link InMemoryBusStressTest}.
 */
class InMemoryBusTest {
  private static final String POS1 = "[\"shop\",\"pos.multi_session\",\"1\"]";
  private static final String PONG1 = "[\"shop\",\"pos.longpolling\",\"1\"]";
  private static final String POS2 = "[\"shop\",\"pos.multi_session\",\"2\"]";
  private static final Duration TIMEOUT = Duration.ofSeconds(50);

  private final ManualScheduler timers = new ManualScheduler(Instant.parse("2024-03-01T08:00:00Z"));

  private InMemoryBus bus(Duration retention, long maxBytes, int maxHeld) {
    return new InMemoryBus(timers, retention, maxBytes, maxHeld);
  }

  private InMemoryBus bus() {
    return bus(Duration.ofSeconds(600), 10_000, 100);
  }

  @Test
  void idsRiseByOneAcrossChannelsAndBatchesAndTheJsonIsBuiltOnce() {
    InMemoryBus bus = bus();

    List<Notification> first = publish(bus, List.of(new Outgoing(POS1, "{\"a\":1}"),
        new Outgoing(PONG1, "\"PONG\"")));
    List<Notification> second = publish(bus, List.of(new Outgoing(POS1, "{\"b\":2}")));

    assertThat(first).extracting(Notification::id).containsExactly(1L, 2L);
    assertThat(second).extracting(Notification::id).containsExactly(3L);
    assertThat(bus.lastId()).isEqualTo(3);
    assertThat(first.get(1).json()).isEqualTo(
        "{\"id\":2,\"channel\":\"[\\\"shop\\\",\\\"pos.longpolling\\\",\\\"1\\\"]\",\"message\":\"PONG\"}");
    assertThat(publish(bus, List.of())).isEmpty();
    assertThat(bus.lastId()).isEqualTo(3);
  }

  @Test
  void firstPollSeesWhatItsChannelsGotInTheLastFiftySeconds() {
    InMemoryBus bus = bus();
    publish(bus, POS1, "old");
    timers.advance(Duration.ofSeconds(30));
    publish(bus, POS1, "new");
    publish(bus, POS2, "someone else's");
    timers.advance(Duration.ofSeconds(20).minusMillis(1));

    assertThat(messages(poll(bus, 0, POS1).answer())).containsExactly("old", "new");

    timers.advance(Duration.ofMillis(1)); // "old" is now exactly 50 s old: Odoo asks for younger
    assertThat(messages(poll(bus, 0, POS1).answer())).containsExactly("new");
  }

  @Test
  void pollAfterLastGetsEverythingRetainedAfterItWhateverItsAge() {
    InMemoryBus bus = bus();
    publish(bus, POS1, "one");
    publish(bus, POS2, "two");
    publish(bus, POS1, "three");
    publish(bus, PONG1, "four");
    timers.advance(Duration.ofSeconds(90));

    Poll p = poll(bus, 1, POS1, PONG1);

    assertThat(p.answer()).extracting(Notification::id).containsExactly(3L, 4L);
    assertThat(bus.heldPolls()).isZero();
  }

  /** §4.4: a client whose last is ahead of the counter would miss our next ids; jump past it. */
  @Test
  void pollWithLastAheadOfTheCounterMovesTheCounterPastIt() {
    InMemoryBus bus = bus();
    publish(bus, POS1, "one");

    Poll p = poll(bus, 1000, POS1);
    assertThat(bus.lastId()).isEqualTo(1000);
    assertThat(p.isAnswered()).isFalse();

    publish(bus, POS1, "after");
    assertThat(p.answer()).extracting(Notification::id).containsExactly(1001L);
  }

  /** A hostile or broken {@code last} just below 2^53 must not push later ids past 2^53. */
  @Test
  void lastNearTheLimitMovesTheCounterOnlyToHalfOfIt() {
    InMemoryBus bus = bus();

    Poll p = poll(bus, InMemoryBus.MAX_ID, POS1);
    assertThat(bus.lastId()).isEqualTo(InMemoryBus.MAX_JUMP);
    publish(bus, POS1, "after");
    assertThat(bus.lastId()).isEqualTo(InMemoryBus.MAX_JUMP + 1);
    assertThat(p.isAnswered()).as("nothing it asked for: ids beyond any we hand out").isFalse();
    timers.advance(TIMEOUT);
    assertThat(p.answer()).isEmpty();

    poll(bus, InMemoryBus.MAX_ID - 1, POS1);
    assertThat(bus.lastId()).isEqualTo(InMemoryBus.MAX_JUMP + 1); // never moved back
  }

  @Test
  void lastBeyondJavaScriptsSafeIntegersIsRefused() {
    InMemoryBus bus = bus();

    assertThatThrownBy(() -> poll(bus, InMemoryBus.MAX_ID + 1, POS1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^53");
    assertThat(bus.lastId()).isZero();
    assertThat(bus.heldPolls()).isZero();
  }

  @Test
  void parkedPollIsWokenByAPublishOnItsOwnChannelsOnly() {
    InMemoryBus bus = bus();
    publish(bus, POS1, "seen");
    // Spelled with spaces, as a hand-written channel might be: it still routes (§4.1).
    Poll p = poll(bus, 1, "[\"shop\", \"pos.multi_session\", \"1\"]", PONG1);
    assertThat(bus.heldPolls()).isEqualTo(1);

    publish(bus, POS2, "not mine");
    assertThat(p.isAnswered()).isFalse();

    publish(bus, PONG1, "mine");
    assertThat(messages(p.answer())).containsExactly("mine");
    assertThat(p.calls()).isEqualTo(1);
    assertThat(bus.heldPolls()).isZero();
    assertThat(timers.pending()).isZero(); // its timer went with it
  }

  @Test
  void parkedPollAnswersEmptyAtTheTimeout() {
    InMemoryBus bus = bus();
    Poll p = poll(bus, 0, POS1);

    timers.advance(TIMEOUT.minusMillis(1));
    assertThat(p.isAnswered()).isFalse();

    timers.advance(Duration.ofMillis(1));
    assertThat(p.answer()).isEmpty();
    assertThat(bus.heldPolls()).isZero();

    publish(bus, POS1, "too late for that poll");
    assertThat(p.calls()).isEqualTo(1);
  }

  @Test
  void cancelledPollIsUnparkedAndNeverAnswered() {
    InMemoryBus bus = bus();
    Poll p = poll(bus, 0, POS1);
    assertThat(bus.heldPolls()).isEqualTo(1);

    p.cancel.run();

    assertThat(bus.heldPolls()).isZero();
    assertThat(timers.pending()).isZero();
    publish(bus, POS1, "nobody listens");
    timers.advance(TIMEOUT);
    assertThat(p.calls()).isZero();
    p.cancel.run(); // twice is harmless
    assertThat(bus.heldPolls()).isZero();
  }

  @Test
  void peekAnswersAtOnceEvenWithNothingToSay() {
    InMemoryBus bus = bus();
    Recorder r = new Recorder();

    bus.poll(List.of(POS1), 0, true, TIMEOUT, r);

    assertThat(r.answers).containsExactly(List.of());
    assertThat(bus.heldPolls()).isZero();
  }

  @Test
  void heldPollsAreBoundedButAnswerablePollsAreNot() {
    InMemoryBus bus = bus(Duration.ofSeconds(600), 10_000, 2);
    Poll a = poll(bus, 0, POS1);
    poll(bus, 0, POS1);

    assertThatThrownBy(() -> poll(bus, 0, POS2))
        .isInstanceOf(PollLimitException.class).hasMessage("too many held polls (2)");
    assertThat(bus.heldPolls()).isEqualTo(2);

    publish(bus, PONG1, "ready");
    assertThat(messages(poll(bus, 0, PONG1).answer())).containsExactly("ready");

    a.cancel.run();
    Poll c = poll(bus, 1, POS2);
    assertThat(c.isAnswered()).isFalse();
    assertThat(bus.heldPolls()).isEqualTo(2);
  }

  @Test
  void sweepDropsNotificationsOlderThanTheRetention() {
    InMemoryBus bus = bus(Duration.ofSeconds(100), 10_000, 100);
    publish(bus, POS2, "marker");
    publish(bus, POS1, "early");
    publish(bus, POS1, "early too");
    timers.advance(Duration.ofSeconds(60));
    publish(bus, POS1, "later");

    timers.advance(Duration.ofSeconds(40));
    bus.sweep();
    assertThat(messages(poll(bus, 1, POS1).answer())).containsExactly("early", "early too", "later");

    timers.advance(Duration.ofMillis(1));
    bus.sweep();
    assertThat(messages(poll(bus, 1, POS1).answer())).containsExactly("later");
    assertThat(bus.lastId()).isEqualTo(4); // ids are never reused
    assertThat(publish(bus, POS1, "next").id()).isEqualTo(5);
  }

  @Test
  void retainedNotificationsStayWithinTheirMemoryBudgetOldestFirst() {
    InMemoryBus probe = bus(Duration.ofSeconds(600), Long.MAX_VALUE, 100);
    publish(probe, POS1, "m1");
    long one = probe.retainedBytes();
    assertThat(one).isPositive();

    InMemoryBus bus = bus(Duration.ofSeconds(600), 3 * one + 20, 100);
    for (int i = 1; i <= 5; i++) {
      publish(bus, POS1, "m" + i);
    }
    assertThat(messages(poll(bus, 0, POS1).answer())).containsExactly("m3", "m4", "m5");
    publish(bus, POS2, "other"); // a little bigger: the oldest of all goes, whatever its channel

    assertThat(messages(poll(bus, 0, POS1).answer())).containsExactly("m4", "m5");
    assertThat(messages(poll(bus, 0, POS2).answer())).containsExactly("other");
    assertThat(bus.retainedBytes()).isLessThanOrEqualTo(3 * one + 20);
  }

  /** The one-writer contract: what is appended was reserved, and comes in id order. */
  @Test
  void appendRefusesIdsThatWereNotReservedOrComeOutOfOrder() {
    InMemoryBus bus = bus();
    long first = bus.reserve(3);
    long now = timers.clock().millis();
    Notification a = Notification.of(first, new Outgoing(POS1, "1"), now);
    Notification b = Notification.of(first + 1, new Outgoing(POS1, "2"), now);
    Notification c = Notification.of(first + 2, new Outgoing(POS1, "3"), now);
    Notification unreserved = Notification.of(first + 3, new Outgoing(POS1, "4"), now);

    assertThatThrownBy(() -> bus.append(List.of(b, a))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> bus.append(List.of(unreserved)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(peek(bus, POS1)).isEmpty(); // a refused batch shows nothing

    bus.append(List.of(a, c)); // a failed commit's ids may be skipped, never gone back to
    assertThatThrownBy(() -> bus.append(List.of(b))).isInstanceOf(IllegalStateException.class);
    assertThat(poll(bus, 0, POS1).answer()).containsExactly(a, c);
  }

  /** Reserved ids count as handed out: a client's {@code last} cannot overtake them. */
  @Test
  void pollCannotMoveTheCounterBelowReservedIds() {
    InMemoryBus bus = bus();
    long first = bus.reserve(5);

    Poll p = poll(bus, 3, POS1);
    assertThat(bus.lastId()).isEqualTo(5);

    bus.append(List.of(Notification.of(first + 4, new Outgoing(POS1, "\"five\""),
        timers.clock().millis())));
    assertThat(messages(p.answer())).containsExactly("five");
  }

  @Test
  void restoredNotificationsArePollableAndIdsContinueAboveThem() {
    InMemoryBus bus = bus();
    long now = timers.clock().millis();
    Notification seven = Notification.of(7, new Outgoing(POS1, "\"seven\""), now);

    bus.restore(9, List.of(seven));

    assertThat(messages(poll(bus, 6, POS1).answer())).containsExactly("seven");
    assertThat(bus.lastId()).isEqualTo(9);
    assertThat(publish(bus, POS1, "next").id()).isEqualTo(10);
  }

  /** At shutdown every parked poll gets its (empty) answer at once, and its timer goes. */
  @Test
  void releaseAllAnswersEveryParkedPollOnce() {
    InMemoryBus bus = bus();
    Poll a = poll(bus, 0, POS1);
    Poll b = poll(bus, 0, POS1, POS2);
    Poll cancelled = poll(bus, 0, POS2);
    cancelled.cancel.run();

    bus.releaseAll();

    assertThat(a.answer()).isEmpty();
    assertThat(b.answer()).isEmpty();
    assertThat(cancelled.calls()).isZero();
    assertThat(bus.heldPolls()).isZero();
    assertThat(timers.pending()).isZero();
    timers.advance(TIMEOUT);
    publish(bus, POS1, "later");
    assertThat(a.calls()).isEqualTo(1);
    assertThat(b.calls()).isEqualTo(1);
  }

  /** A callback that throws must not cost the other woken polls their answer. */
  @Test
  void aFailingCallbackDoesNotKeepTheOtherPollsWaiting() {
    InMemoryBus bus = bus();
    bus.poll(List.of(POS1), 0, false, TIMEOUT, answer -> {
      throw new IllegalStateException("broken client");
    });
    Poll other = poll(bus, 0, POS1);

    publish(bus, POS1, "news");

    assertThat(messages(other.answer())).containsExactly("news");
    assertThat(bus.heldPolls()).isZero();
  }

  // --- helpers ----------------------------------------------------------------------------

  private Notification publish(InMemoryBus bus, String channel, String text) {
    return publish(bus, List.of(new Outgoing(channel, "\"" + text + "\""))).get(0);
  }

  /** What the commit writer does: reserve ids, make the notifications, append them. */
  private List<Notification> publish(InMemoryBus bus, List<Outgoing> batch) {
    long next = batch.isEmpty() ? 0 : bus.reserve(batch.size());
    List<Notification> out = new ArrayList<>();
    for (Outgoing o : batch) {
      out.add(Notification.of(next++, o, timers.clock().millis()));
    }
    bus.append(out);
    return out;
  }

  private Poll poll(InMemoryBus bus, long last, String... channels) {
    Recorder r = new Recorder();
    Runnable cancel = bus.poll(List.of(channels), last, false, TIMEOUT, r);
    return new Poll(r, cancel);
  }

  private static List<Notification> peek(InMemoryBus bus, String... channels) {
    Recorder r = new Recorder();
    bus.poll(List.of(channels), 0, true, TIMEOUT, r);
    assertThat(r.answers).hasSize(1);
    return r.answers.get(0);
  }

  private static List<String> messages(List<Notification> notifications) {
    return notifications.stream().map(n -> {
      String json = n.json();
      String tail = json.substring(json.indexOf(",\"message\":\"") + 12);
      return tail.substring(0, tail.length() - 2);
    }).toList();
  }

  /** A poll's callback that remembers every answer it got. */
  private static final class Recorder implements PollCallback {
    final List<List<Notification>> answers = new ArrayList<>();

    @Override
    public synchronized void complete(List<Notification> notifications) {
      answers.add(notifications);
    }
  }

  private record Poll(Recorder recorder, Runnable cancel) {
    boolean isAnswered() {
      return calls() > 0;
    }

    int calls() {
      synchronized (recorder) {
        return recorder.answers.size();
      }
    }

    List<Notification> answer() {
      synchronized (recorder) {
        assertThat(recorder.answers).as("answers").hasSize(1);
        return recorder.answers.get(0);
      }
    }
  }
}
