package io.possync.time;

import java.time.Clock;
import java.time.Duration;

/**
 * Reads the time and runs work later. The one seam through which PosSync's parts see time, in the
 * spirit of Caffeine's {@code Scheduler}: a part given a scheduler never sleeps and never starts a
 * timer thread of its own, so a test can drive it by moving time forward.
 */
public interface Scheduler {

  /** The clock every time stamp comes from. */
  Clock clock();

  /**
   * Runs {@code task} once, {@code delay} from now, on the scheduler's thread. Tasks must be short:
   * they share that thread.
   */
  Scheduled schedule(Duration delay, Runnable task);

  /**
   * Runs {@code task} every {@code period}, the first time one period from now, until cancelled.
   * A failing run is reported by the task itself; the next still comes.
   */
  Scheduled every(Duration period, Runnable task);

  /** A task waiting to run. */
  interface Scheduled {
    /** Stops it if it has not run yet (or, when repeating, from running again). */
    void cancel();
  }
}
