package io.possync.http;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Updates per second and fan-out latency in {@link #STEP}s over the last {@link #SPAN}, for the
 * status page's chart. A fixed ring of counters: recording takes a short lock and allocates
 * nothing; steps older than the span are overwritten.
 */
public final class TrafficHistory {
  public static final Duration STEP = Duration.ofSeconds(5);
  public static final Duration SPAN = Duration.ofMinutes(10);
  /** Completed steps reported. */
  private static final int POINTS = (int) (SPAN.toMillis() / STEP.toMillis());
  /** One more slot than points: the step in progress. */
  private static final int SLOTS = POINTS + 1;

  private final Clock clock;
  private final long firstStep;
  // guarded by this; slot i holds step number steps[i] (millis / STEP), or -1
  private final long[] steps = new long[SLOTS];
  private final int[] updates = new int[SLOTS];
  private final int[] deliveries = new int[SLOTS];
  private final long[] latencySum = new long[SLOTS];
  private final long[] latencyMax = new long[SLOTS];

  public TrafficHistory(Clock clock) {
    this.clock = clock;
    this.firstStep = step(clock.millis());
    java.util.Arrays.fill(steps, -1);
  }

  /** Counts one update call answered. */
  public void updated() {
    long now = clock.millis();
    synchronized (this) {
      updates[slot(step(now))]++;
    }
  }

  /**
   * Counts one poll answer carrying notifications; {@code publishedAt} is the publication time of
   * the newest one, so that a catching-up terminal's old backlog does not count as latency.
   */
  public void delivered(long publishedAt) {
    long now = clock.millis();
    long latency = Math.max(0, now - publishedAt);
    synchronized (this) {
      int i = slot(step(now));
      deliveries[i]++;
      latencySum[i] += latency;
      latencyMax[i] = Math.max(latencyMax[i], latency);
    }
  }

  /** The completed steps of the span since this node started, oldest first. */
  public synchronized List<StatusReport.HistoryPoint> points() {
    long current = step(clock.millis());
    long from = Math.max(firstStep, current - POINTS);
    double seconds = STEP.toMillis() / 1000.0;
    List<StatusReport.HistoryPoint> out = new ArrayList<>(POINTS);
    for (long s = from; s < current; s++) {
      int i = index(s);
      boolean held = steps[i] == s;
      int n = held ? deliveries[i] : 0;
      out.add(new StatusReport.HistoryPoint(s * STEP.toMillis(),
          held ? updates[i] / seconds : 0,
          n == 0 ? null : (double) latencySum[i] / n,
          n == 0 ? null : latencyMax[i]));
    }
    return out;
  }

  private static long step(long millis) {
    return Math.floorDiv(millis, STEP.toMillis());
  }

  private static int index(long step) {
    return (int) Math.floorMod(step, (long) SLOTS);
  }

  // guarded by this: the slot of this step, cleared when it last held an older one
  private int slot(long step) {
    int i = index(step);
    if (steps[i] != step) {
      steps[i] = step;
      updates[i] = 0;
      deliveries[i] = 0;
      latencySum[i] = 0;
      latencyMax[i] = 0;
    }
    return i;
  }
}
