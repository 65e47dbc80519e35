package io.possync.http;

import static io.possync.http.PollActivity.Presence.OFFLINE;
import static io.possync.http.PollActivity.Presence.ONLINE;
import static io.possync.http.PollActivity.Presence.STALE;
import static org.assertj.core.api.Assertions.assertThat;

import io.possync.sync.TerminalKey;
import io.possync.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A terminal's presence from its polls: green while it polls, orange when late, then red. */
class PollActivityTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00Z"));

  @Test
  void aTerminalIsOnlineWhileItPollsStaleWhenLateAndOfflineAfterTheThreshold() {
    PollActivity activity = new PollActivity(clock, Duration.ofSeconds(50),
        Duration.ofSeconds(75));
    TerminalKey bar = new TerminalKey("odoo12", 3);
    assertThat(activity.presence(activity.lastPoll(bar).orElse(null), clock.millis()))
        .as("no poll since the start").isEqualTo(OFFLINE);

    activity.polled(List.of("[\"odoo12\",\"pos.multi_session\",\"3\"]",
        "[\"odoo12\",\"pos.longpolling\",\"3\"]", "not a channel", "[\"odoo12\",\"x\",\"4\"]"));
    long polled = clock.millis();
    assertThat(activity.lastPolls()).containsOnlyKeys(bar);

    clock.advance(Duration.ofSeconds(54)); // waiting in its held poll (50 s) is normal
    assertThat(activity.presence(polled, clock.millis())).isEqualTo(ONLINE);
    clock.advance(Duration.ofSeconds(1)); // poll.timeout + 5 s: late for its next poll
    assertThat(activity.presence(polled, clock.millis())).isEqualTo(STALE);
    clock.advance(Duration.ofSeconds(20)); // admin.offline_after
    assertThat(activity.presence(polled, clock.millis())).isEqualTo(OFFLINE);
    assertThat(OFFLINE.wire()).isEqualTo("offline");
  }

  @Test
  void withATightThresholdThereIsNoStaleStep() {
    PollActivity activity = new PollActivity(clock, Duration.ofSeconds(2), Duration.ofSeconds(3));
    assertThat(activity.staleAfter()).isEqualTo(Duration.ofSeconds(3));
    long now = clock.millis();
    assertThat(activity.presence(now - 2_999, now)).isEqualTo(ONLINE);
    assertThat(activity.presence(now - 3_000, now)).isEqualTo(OFFLINE);
  }
}
