package io.possync.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.possync.time.ManualScheduler;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One parked poll's hand-off: whichever of wake, timeout, cancel or release comes first wins, the
 * others do nothing, and the timer exists from the start.
 */
class ParkedPollTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(50);

  private final ManualScheduler timers = new ManualScheduler();
  private final FakeIndex index = new FakeIndex();
  private final List<List<Notification>> answers = new ArrayList<>();

  private ParkedPoll park() {
    return new ParkedPoll(Set.of("c"), 7, answers::add, index, timers, TIMEOUT);
  }

  @Test
  void theTimerIsArmedBeforeAnyoneCanWakeThePoll() {
    ParkedPoll p = park();

    assertThat(timers.pending()).isEqualTo(1);
    assertThat(p.state()).isEqualTo(ParkedPoll.State.PARKED);
  }

  @Test
  void wakeWinsThenTimeoutAndCancelDoNothing() {
    ParkedPoll p = park();
    List<Notification> news = List.of(notification(8));

    assertThat(p.claim(ParkedPoll.State.WOKEN)).isTrue();
    assertThat(p.claim(ParkedPoll.State.RELEASED)).isFalse();
    p.answer(news);
    assertThat(timers.pending()).isZero(); // the winner cancelled the timer
    timers.advance(TIMEOUT);
    p.cancel();

    assertThat(answers).containsExactly(news);
    assertThat(index.expired + index.forgotten).isZero(); // the bus unparked it under its lock
  }

  @Test
  void timeoutWinsThenWakeAndCancelDoNothing() {
    ParkedPoll p = park();
    index.atTimeout = List.of(notification(8)); // arrived while the timeout was taking the poll

    timers.advance(TIMEOUT);
    assertThat(p.claim(ParkedPoll.State.WOKEN)).isFalse();
    p.cancel();

    assertThat(p.state()).isEqualTo(ParkedPoll.State.TIMED_OUT);
    assertThat(answers).containsExactly(index.atTimeout);
    assertThat(index.expired).isEqualTo(1);
    assertThat(index.forgotten).isZero();
  }

  @Test
  void cancelWinsThenNothingAnswers() {
    ParkedPoll p = park();

    p.cancel();
    p.cancel();
    assertThat(p.claim(ParkedPoll.State.WOKEN)).isFalse();
    assertThat(p.claim(ParkedPoll.State.RELEASED)).isFalse();
    timers.advance(TIMEOUT);

    assertThat(p.state()).isEqualTo(ParkedPoll.State.CANCELLED);
    assertThat(answers).isEmpty();
    assertThat(timers.pending()).isZero();
    assertThat(index.forgotten).isEqualTo(1);
    assertThat(index.expired).isZero();
  }

  @Test
  void onlyAClaimedPollMayBeAnswered() {
    ParkedPoll p = park();

    assertThatThrownBy(() -> p.answer(List.of())).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> p.claim(ParkedPoll.State.TIMED_OUT))
        .isInstanceOf(IllegalArgumentException.class);
    timers.advance(TIMEOUT);
    assertThatThrownBy(() -> p.answer(List.of())).isInstanceOf(IllegalStateException.class);
    assertThat(answers).hasSize(1);
  }

  private static Notification notification(long id) {
    return Notification.of(id, new Outgoing("c", "1"), 0);
  }

  private static final class FakeIndex implements ParkedPoll.Index {
    List<Notification> atTimeout = List.of();
    int expired;
    int forgotten;

    @Override
    public List<Notification> expire(ParkedPoll poll) {
      expired++;
      return atTimeout;
    }

    @Override
    public void forget(ParkedPoll poll) {
      forgotten++;
    }
  }
}
