package io.possync.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.possync.wire.Channel;
import io.possync.sync.TerminalKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * When each terminal last polled, recorded where polls arrive: the status page tells live
 * terminals from gone ones by it. Bounded: beyond {@link #MAX_TERMINALS} terminals the cache
 * forgets some that poll rarely, and they show as offline until their next poll.
 */
public final class PollActivity {
  /** Terminals remembered at most (a POS config polls for all its devices under one key). */
  public static final int MAX_TERMINALS = 100_000;
  /** How late a re-poll may be, after the poll timeout, before the terminal counts as stale. */
  public static final Duration LATE_AFTER_TIMEOUT = Duration.ofSeconds(5);

  /** A terminal's state in pos_longpolling's colours: green, orange, red. */
  public enum Presence {
    /** Polled recently enough: it is waiting in a poll or just got an answer. */
    ONLINE,
    /** Late for its next poll, not yet offline. */
    STALE,
    /** No poll for {@code admin.offline_after}, or none since PosSync started. */
    OFFLINE;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Clock clock;
  private final Duration staleAfter;
  private final Duration offlineAfter;
  private final Cache<TerminalKey, Long> lastPoll =
      Caffeine.newBuilder().maximumSize(MAX_TERMINALS).build();

  /**
   * @param pollTimeout  how long a poll is held (a waiting terminal is silent that long)
   * @param offlineAfter silence after which a terminal is offline
   */
  public PollActivity(Clock clock, Duration pollTimeout, Duration offlineAfter) {
    this.clock = clock;
    Duration late = pollTimeout.plus(LATE_AFTER_TIMEOUT);
    this.staleAfter = late.compareTo(offlineAfter) < 0 ? late : offlineAfter;
    this.offlineAfter = offlineAfter;
  }

  /** Records a poll on these channels: each terminal channel names its POS config. */
  void polled(Collection<String> channels) {
    long now = clock.millis();
    for (String channel : channels) {
      terminalOf(channel).ifPresent(t -> lastPoll.put(t, now));
    }
  }

  private static Optional<TerminalKey> terminalOf(String channel) {
    return Channel.parse(channel)
        .flatMap(c -> c.posId().map(pos -> new TerminalKey(c.dbname(), pos)));
  }

  /** Clock millis of the terminal's last poll, if it polled since the start (and is remembered). */
  public Optional<Long> lastPoll(TerminalKey terminal) {
    return Optional.ofNullable(lastPoll.getIfPresent(terminal));
  }

  /** Every remembered terminal with the clock millis of its last poll. */
  public Map<TerminalKey, Long> lastPolls() {
    return Map.copyOf(lastPoll.asMap());
  }

  /** The presence of a terminal whose last poll was at {@code lastPoll} (null: never). */
  public Presence presence(Long lastPoll, long now) {
    if (lastPoll == null) {
      return Presence.OFFLINE;
    }
    long silent = now - lastPoll;
    if (silent >= offlineAfter.toMillis()) {
      return Presence.OFFLINE;
    }
    return silent >= staleAfter.toMillis() ? Presence.STALE : Presence.ONLINE;
  }

  /** Silence after which a terminal is shown stale. */
  public Duration staleAfter() {
    return staleAfter;
  }

  /** Silence after which a terminal is shown offline. */
  public Duration offlineAfter() {
    return offlineAfter;
  }
}
