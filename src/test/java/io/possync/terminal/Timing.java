package io.possync.terminal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client-side delays and timeouts of a virtual terminal. {@link #REAL} has the values of the
 * Odoo 12 POS (docs/protocol.md §2.2, §2.5, §3.3, §5.12); {@link #fast()} scales them down so that
 * reconnection scenarios run in tests within a second.
 *
 * @param loadRetry         pause between failed loading {@code sync_all}s (POS: 2 s)
 * @param pollErrorMin      shortest pause before re-polling after a failed poll (POS: 11 s)
 * @param pollErrorMax      longest such pause (POS: 30 s)
 * @param offlineSyncMin    shortest period of the offline {@code sync_all} timer (POS: 6 s)
 * @param offlineSyncMax    longest such period (POS: 15 s)
 * @param updateTimeout     client timeout of {@code /pos_multi_session_sync/update} (POS: 30 s)
 * @param pollTimeout       client timeout of {@code /longpolling/poll} (POS: 60 s)
 * @param pingTimeout       client timeout of {@code /pos_longpolling/update} (POS: 30 s)
 * @param maxSilence        silence after which the terminal PINGs (POS: 60 s)
 * @param pongTimeout       wait for the PONG after a PING before reporting offline (POS: 10 s)
 */
public record Timing(Duration loadRetry, Duration pollErrorMin, Duration pollErrorMax,
    Duration offlineSyncMin, Duration offlineSyncMax, Duration updateTimeout, Duration pollTimeout,
    Duration pingTimeout, Duration maxSilence, Duration pongTimeout) {

  /** What a real POS browser does. */
  public static final Timing REAL = new Timing(Duration.ofSeconds(2), Duration.ofSeconds(11),
      Duration.ofSeconds(30), Duration.ofSeconds(6), Duration.ofSeconds(15),
      Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(30),
      Duration.ofSeconds(60), Duration.ofSeconds(10));

  /**
   * Short delays for tests against a node whose poll timeout is about 2 s: retries within a few
   * hundred milliseconds, silence detection well above the poll timeout.
   */
  public static Timing fast() {
    return new Timing(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(300), Duration.ofMillis(600), Duration.ofSeconds(10),
        Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(8),
        Duration.ofSeconds(4));
  }

  /** A random pause before the next poll after a failure (the POS spreads its retries). */
  Duration pollErrorDelay() {
    return between(pollErrorMin, pollErrorMax);
  }

  /** A random period for the offline sync_all timer, chosen once per timer like the POS does. */
  Duration offlineSyncPeriod() {
    return between(offlineSyncMin, offlineSyncMax);
  }

  private static Duration between(Duration min, Duration max) {
    long lo = min.toMillis();
    long hi = Math.max(lo, max.toMillis());
    return Duration.ofMillis(lo == hi ? lo : ThreadLocalRandom.current().nextLong(lo, hi + 1));
  }
}
