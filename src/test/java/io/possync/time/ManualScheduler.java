package io.possync.time;

import io.possync.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;

/**
 * A scheduler whose time moves only when a test says so: {@link #advance} moves the clock and
 * runs, on the calling thread and in time order, every task that falls due. Thread-safe, so the
 * code under test may schedule from its own threads.
 */
public final class ManualScheduler implements Scheduler {
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private final MutableClock clock;
  /** The clock's time, moved only under this object's lock. */
  private long now;
  private long sequence;

  public ManualScheduler(Instant start) {
    this.clock = new MutableClock(start);
    this.now = start.toEpochMilli();
  }

  public ManualScheduler() {
    this(Instant.parse("2026-01-01T10:00:00Z"));
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public synchronized Scheduled schedule(Duration delay, Runnable task) {
    Task t = new Task(now + delay.toMillis(), 0, sequence++, task);
    queue.add(t);
    return () -> cancel(t);
  }

  @Override
  public synchronized Scheduled every(Duration period, Runnable task) {
    Task t = new Task(now + period.toMillis(), period.toMillis(), sequence++, task);
    queue.add(t);
    return () -> cancel(t);
  }

  private synchronized void cancel(Task t) {
    queue.remove(t);
  }

  /** Tasks waiting, repeating ones included. */
  public synchronized int pending() {
    return queue.size();
  }

  /** Moves time forward by {@code d}, running what falls due (and what that schedules) in order. */
  public void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toMillis();
    }
    while (true) {
      Task due;
      synchronized (this) {
        Task head = queue.peek();
        if (head == null || head.at > target) {
          moveTo(target);
          return;
        }
        due = queue.poll();
        moveTo(Math.max(now, due.at));
        if (due.period > 0) {
          due.at = now + due.period; // the same object again, so cancelling it stops every run
          due.order = sequence++;
          queue.add(due);
        }
      }
      due.task.run();
    }
  }

  // guarded by this
  private void moveTo(long millis) {
    clock.advance(Duration.ofMillis(millis - now));
    now = millis;
  }

  /** Runs what is due now without moving time. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  private static final class Task implements Comparable<Task> {
    long at;
    long order;
    final long period;
    final Runnable task;

    Task(long at, long period, long order, Runnable task) {
      this.at = at;
      this.period = period;
      this.order = order;
      this.task = task;
    }

    @Override
    public int compareTo(Task o) {
      return at != o.at ? Long.compare(at, o.at) : Long.compare(order, o.order);
    }
  }
}
