package io.possync.time;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The production scheduler: the system clock and one daemon timer thread. */
public final class SystemScheduler implements Scheduler, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SystemScheduler.class);

  private final Clock clock;
  private final ScheduledThreadPoolExecutor timers;

  public SystemScheduler(Clock clock, String threadName) {
    this.clock = clock;
    this.timers = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = Executors.defaultThreadFactory().newThread(r);
      t.setName(threadName);
      t.setDaemon(true);
      return t;
    });
    // Answered polls cancel their timers: cancelled tasks must not stay queued until they expire.
    timers.setRemoveOnCancelPolicy(true);
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public Scheduled schedule(Duration delay, Runnable task) {
    ScheduledFuture<?> f = timers.schedule(guarded(task), delay.toNanos(), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  @Override
  public Scheduled every(Duration period, Runnable task) {
    long nanos = period.toNanos();
    // A repeating task that throws would be dropped silently by the executor: guard it.
    ScheduledFuture<?> f = timers.scheduleWithFixedDelay(guarded(task), nanos, nanos,
        TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.error("event=timer_task_failed error={}", e.toString(), e);
      }
    };
  }

  /** Drops every waiting task; running ones finish. */
  @Override
  public void close() {
    timers.shutdownNow();
  }
}
