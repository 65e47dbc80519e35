package io.possync.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chart's data: completed 5-second steps over ten minutes, never more. */
class TrafficHistoryTest {

  @Test
  void stepsCountUpdatesAndTheLatencyOfTheNewestNotificationDelivered() {
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00Z"));
    TrafficHistory history = new TrafficHistory(clock);
    for (int i = 0; i < 10; i++) {
      history.updated();
    }
    history.delivered(clock.millis() - 4);
    history.delivered(clock.millis() - 12);
    assertThat(history.points()).as("the current step is not complete yet").isEmpty();

    clock.advance(Duration.ofSeconds(5));
    List<StatusReport.HistoryPoint> points = history.points();
    assertThat(points).hasSize(1);
    StatusReport.HistoryPoint p = points.get(0);
    assertThat(p.at()).isEqualTo(Instant.parse("2026-03-01T09:00:00Z").toEpochMilli());
    assertThat(p.updatesPerSecond()).isEqualTo(2.0);
    assertThat(p.fanoutMsAvg()).isEqualTo(8.0);
    assertThat(p.fanoutMsMax()).isEqualTo(12);

    clock.advance(Duration.ofSeconds(5));
    StatusReport.HistoryPoint quiet = history.points().get(1);
    assertThat(quiet.updatesPerSecond()).isZero();
    assertThat(quiet.fanoutMsAvg()).as("nothing delivered: no latency, not 0 ms").isNull();
  }

  @Test
  void onlyTheLastTenMinutesAreKept() {
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00Z"));
    TrafficHistory history = new TrafficHistory(clock);
    history.updated();
    clock.advance(Duration.ofMinutes(30));
    history.updated();
    clock.advance(Duration.ofSeconds(5));
    List<StatusReport.HistoryPoint> points = history.points();
    assertThat(points).hasSize(120);
    assertThat(points.get(119).updatesPerSecond()).isEqualTo(0.2);
    assertThat(points.subList(0, 119)).allMatch(p -> p.updatesPerSecond() == 0,
        "the step of 30 minutes ago has been overwritten");
  }
}
