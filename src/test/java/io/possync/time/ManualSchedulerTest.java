package io.possync.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManualSchedulerTest {

  @Test
  void runsDueTasksInTimeOrderAndMovesTheClock() {
    ManualScheduler s = new ManualScheduler();
    long start = s.clock().millis();
    List<String> ran = new ArrayList<>();
    s.schedule(Duration.ofSeconds(2), () -> ran.add("b@" + (s.clock().millis() - start)));
    s.schedule(Duration.ofSeconds(1), () -> ran.add("a@" + (s.clock().millis() - start)));
    s.schedule(Duration.ofSeconds(5), () -> ran.add("late"));
    s.advance(Duration.ofSeconds(3));
    assertThat(ran).containsExactly("a@1000", "b@2000");
    assertThat(s.clock().millis() - start).isEqualTo(3000);
    assertThat(s.pending()).isEqualTo(1);
  }

  @Test
  void repeatingTasksRunEachPeriodUntilCancelled() {
    ManualScheduler s = new ManualScheduler();
    List<Long> ran = new ArrayList<>();
    Scheduler.Scheduled every = s.every(Duration.ofSeconds(10), () -> ran.add(s.clock().millis()));
    s.advance(Duration.ofSeconds(35));
    assertThat(ran).hasSize(3);
    every.cancel();
    s.advance(Duration.ofSeconds(100));
    assertThat(ran).hasSize(3);
    assertThat(s.pending()).isZero();
  }

  @Test
  void aCancelledTaskNeverRunsAndTasksScheduledByTasksRunWhenDue() {
    ManualScheduler s = new ManualScheduler();
    List<String> ran = new ArrayList<>();
    s.schedule(Duration.ofSeconds(1), () -> ran.add("cancelled")).cancel();
    s.schedule(Duration.ofSeconds(1), () -> s.schedule(Duration.ofSeconds(1), () -> ran.add("chained")));
    s.advance(Duration.ofMillis(1999));
    assertThat(ran).isEmpty();
    s.advance(Duration.ofMillis(1));
    assertThat(ran).containsExactly("chained");
  }
}
