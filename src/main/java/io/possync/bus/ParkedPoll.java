package io.possync.bus;

import io.possync.time.Scheduler;
import io.possync.wire.Notification;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One poll waiting in the bus, from the moment it is parked to its one answer (or its
 * cancellation). Four things can end it, on four different threads, possibly at the same moment:
 *
 * <ul>
 *   <li><b>wake</b>: a notification was appended on one of its channels. The answer is written by
 *       the thread calling {@link Bus#append}, i.e. the commit writer, once the bus lock is
 *       released;
 *   <li><b>timeout</b>: its timer fired. The answer is written by the scheduler's timer thread;
 *   <li><b>cancel</b>: the HTTP layer gave up on the request (the client went away). Nobody
 *       answers: the response has already failed;
 *   <li><b>release</b>: the server stops ({@link Bus#releaseAll}). The answer is written by the
 *       stopping thread.
 * </ul>
 *
 * <p>Whichever comes first takes the poll with one {@code compareAndSet} on its state (the hand-off
 * CometD's long-poll scheduler uses); the others find it taken and do nothing. So the callback
 * runs at most once, and exactly once unless the cancel won.
 *
 * <p>The timer is armed by the constructor, before the bus enters the poll in its channel index
 * (under the bus lock): nothing can wake a poll whose timer does not exist yet, so whoever wins can
 * always cancel it. The bus lock guards only the index (and retention), never this state.
 */
final class ParkedPoll {
  private static final Logger LOG = LoggerFactory.getLogger(ParkedPoll.class);

  /** The bus side of a poll that ends on its own (timeout, cancel). */
  interface Index {
    /** Takes the timed-out poll out of the index and returns what it gets now (normally nothing). */
    List<Notification> expire(ParkedPoll poll);

    /** Takes the cancelled poll out of the index. */
    void forget(ParkedPoll poll);
  }

  /** How the poll ended; {@link #PARKED} until then. */
  enum State { PARKED, WOKEN, TIMED_OUT, CANCELLED, RELEASED }

  final Set<String> channels;
  final long last;
  private final PollCallback callback;
  private final Index index;
  private final AtomicReference<State> state = new AtomicReference<>(State.PARKED);
  private final Scheduler.Scheduled timer;

  /** Parks a poll and arms its timeout; the caller then enters it in the index. */
  ParkedPoll(Set<String> channels, long last, PollCallback callback, Index index,
      Scheduler scheduler, Duration timeout) {
    this.channels = channels;
    this.last = last;
    this.callback = callback;
    this.index = index;
    // Last: the timer thread may run timedOut() at once, and must see the fields above (handing
    // the task to the scheduler publishes them).
    this.timer = scheduler.schedule(timeout, this::timedOut);
  }

  /**
   * Takes the poll for a wake or a release. Called by the bus under its lock; if it returns true
   * the caller takes the poll out of the index and must then {@link #answer} it, outside the lock.
   */
  boolean claim(State how) {
    if (how != State.WOKEN && how != State.RELEASED) {
      throw new IllegalArgumentException(how.toString());
    }
    return state.compareAndSet(State.PARKED, how);
  }

  /** Writes the answer of a poll {@link #claim}ed for a wake or a release. */
  void answer(List<Notification> notifications) {
    State s = state.get();
    if (s != State.WOKEN && s != State.RELEASED) {
      throw new IllegalStateException("answering a poll that was not claimed: " + s);
    }
    timer.cancel();
    deliver(notifications);
  }

  /** The client is gone: the poll leaves the bus unanswered, unless it was answered already. */
  void cancel() {
    if (state.compareAndSet(State.PARKED, State.CANCELLED)) {
      timer.cancel();
      index.forget(this);
    }
  }

  /** How the poll ended ({@link State#PARKED} while it waits). */
  State state() {
    return state.get();
  }

  private void timedOut() {
    if (state.compareAndSet(State.PARKED, State.TIMED_OUT)) {
      deliver(index.expire(this));
    }
  }

  // A failing callback must not keep the writer (or the timer thread) from the other polls.
  private void deliver(List<Notification> notifications) {
    try {
      callback.complete(notifications);
    } catch (RuntimeException e) {
      LOG.error("event=poll_answer_failed error={}", e.toString(), e);
    }
  }
}
