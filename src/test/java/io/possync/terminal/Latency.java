package io.possync.terminal;

import java.time.Duration;

/**
 * A slow link on the way back to a terminal: how long each answer takes to reach it after the
 * server has sent it. The reference's test hook {@code phantomtest: slowConnection} made the
 * server commit, publish and only then answer 3 s later (docs/protocol.md §7.16); PosSync ignores that
 * header (D13), so tests reproduce the same situation on the client side with {@link #update}.
 *
 * @param update delay of answers to {@code /pos_multi_session_sync/update} and the PING
 * @param poll   delay of answers to {@code /longpolling/poll}
 */
public record Latency(Duration update, Duration poll) {
  /** No added delay. */
  public static final Latency NONE = new Latency(Duration.ZERO, Duration.ZERO);

  public Latency {
    if (update.isNegative() || poll.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative");
    }
  }

  /** Only update answers are late, as with the reference's slow-connection header. */
  public static Latency slowUpdates(Duration delay) {
    return new Latency(delay, Duration.ZERO);
  }

  /** Only poll answers are late: the terminal learns about others' changes late. */
  public static Latency slowPolls(Duration delay) {
    return new Latency(Duration.ZERO, delay);
  }
}
