package io.possync.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.possync.time.ManualScheduler;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bus under concurrent use, on the production path only: one writer reserves and appends
 * random batches on random channels (sometimes reserving ids it never appends, as a failed commit
 * does), pollers loop with the highest id they saw, some give up on their poll (the HTTP layer
 * cancels it and the client polls again), a jumper sends {@code last} values ahead of the counter,
 * and timeouts fire on a timer thread of their own (half the pollers have timeouts too long to
 * fire, so that a missed wake shows as a poller that never catches up). Time is a {@link ManualScheduler}'s, moved by
 * that thread; nothing sleeps.
 *
 * <p>Checked: every poll is answered at most once, and exactly once unless it was cancelled; every
 * answer holds only ids above its {@code last} (or, for a first poll, from the last 50 s), in id
 * order, on its channels; and every poller ends up with every id published on its channels from
 * its first one on, with no gap and nothing twice.
 */
class InMemoryBusStressTest {
  private static final int CHANNELS = 8;
  private static final int POLLERS = 32;
  private static final int BATCHES = 4_000;
  /** Short against the ticks, so timeouts race with wakes all the time. */
  private static final Duration TIMEOUT = Duration.ofMillis(20);
  /**
   * Half the pollers wait this long: they move on only when woken, so a poll that misses a wake
   * (parked just after an append it did not see) stalls its poller and the test.
   */
  private static final Duration PATIENT = Duration.ofDays(1);

  private final ManualScheduler timers = new ManualScheduler();
  private final InMemoryBus bus = new InMemoryBus(timers, Duration.ofDays(1), Long.MAX_VALUE,
      10_000);
  private final List<String> channels = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
  private final ExecutorService repoll = Executors.newFixedThreadPool(3);
  private final ExecutorService cancellers = Executors.newFixedThreadPool(2);
  private volatile boolean stopping;

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void everyPollIsAnsweredOnceInIdOrderAndLoopingPollersMissNothing() throws Exception {
    for (int c = 0; c < CHANNELS; c++) {
      channels.add("[\"stress\",\"pos.multi_session\",\"" + c + "\"]");
    }
    Random setup = new Random(42);
    List<Poller> pollers = new ArrayList<>();
    for (int p = 0; p < POLLERS; p++) {
      List<String> mine = new ArrayList<>(new TreeSet<>(List.of(
          channels.get(setup.nextInt(CHANNELS)), channels.get(setup.nextInt(CHANNELS)))));
      pollers.add(new Poller(mine, p % 2 == 0 ? TIMEOUT : PATIENT, new Random(p)));
    }
    pollers.forEach(Poller::pollAgain);

    AtomicBoolean ticking = new AtomicBoolean(true);
    Thread ticker = new Thread(() -> {
      Random r = new Random(7);
      while (ticking.get()) {
        timers.advance(Duration.ofMillis(1 + r.nextInt(3))); // runs due timeouts on this thread
        Thread.yield();
      }
    }, "stress-timer");
    Map<String, List<Long>> publishedOn = new HashMap<>();
    channels.forEach(c -> publishedOn.put(c, new ArrayList<>()));
    Thread writer = new Thread(() -> write(publishedOn), "stress-writer");
    Thread jumper = new Thread(this::jump, "stress-jumper");
    for (Thread t : List.of(ticker, writer, jumper)) {
      t.setUncaughtExceptionHandler((thread, e) -> problems.add(thread.getName() + ": " + e));
    }
    ticker.start();
    writer.start();
    jumper.start();
    writer.join();
    jumper.join();

    await().atMost(Duration.ofSeconds(30)).until(() -> !problems.isEmpty()
        || pollers.stream().allMatch(p -> p.lastSeen() == p.channels.stream()
            .mapToLong(c -> lastOf(publishedOn.get(c))).max().orElseThrow()));
    assertThat(problems).isEmpty();

    // Quiesce: no more re-polls, then let every poll still parked time out.
    stopping = true;
    repoll.shutdown();
    cancellers.shutdown();
    assertThat(repoll.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(cancellers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    ticking.set(false);
    ticker.join();
    timers.advance(PATIENT.multipliedBy(2));

    assertThat(problems).isEmpty();
    assertThat(bus.heldPolls()).isZero();
    assertThat(timers.pending()).as("timers left behind").isZero();
    int cancelled = 0;
    int timedOutOrWoken = 0;
    for (Attempt a : attempts) {
      int answers = a.answers.get();
      if (a.cancelIssued) {
        cancelled++;
        assertThat(answers).as("answers to a cancelled poll").isLessThanOrEqualTo(1);
      } else {
        timedOutOrWoken++;
        assertThat(answers).as("answers to a poll").isEqualTo(1);
      }
    }
    assertThat(cancelled).isPositive();
    assertThat(timedOutOrWoken).isPositive();
    for (Poller p : pollers) {
      List<Long> seen = p.seen();
      long first = seen.isEmpty() ? Long.MAX_VALUE : seen.get(0);
      List<Long> expected = p.channels.stream().flatMap(c -> publishedOn.get(c).stream())
          .filter(id -> id >= first).sorted().toList();
      assertThat(seen).as("ids seen on %s", p.channels).containsExactlyElementsOf(expected);
    }
  }

  /** The one writer: reserve, build, append, as the commit writer does. */
  private void write(Map<String, List<Long>> publishedOn) {
    Random r = new Random(1);
    for (int b = 0; b < BATCHES; b++) {
      int count = 1 + r.nextInt(4);
      long next = bus.reserve(count);
      if (r.nextInt(40) == 0) {
        continue; // a failed commit: its ids are never appended
      }
      long now = timers.clock().millis();
      List<Notification> batch = new ArrayList<>(count);
      for (int k = 0; k < count; k++) {
        String channel = channels.get(r.nextInt(CHANNELS));
        batch.add(Notification.of(next, new Outgoing(channel, "{\"b\":" + b + "}"), now));
        publishedOn.get(channel).add(next++);
      }
      bus.append(batch);
      if (b % 16 == 0) {
        Thread.yield(); // let the pollers catch up now and then, so that many park
      }
    }
  }

  /** A client whose {@code last} is ahead of the counter, now and then, on a quiet channel. */
  private void jump() {
    Random r = new Random(3);
    for (int i = 0; i < 200; i++) {
      bus.poll(List.of("[\"stress\",\"quiet\",\"0\"]"), bus.lastId() + 1 + r.nextInt(50), true,
          TIMEOUT, answer -> { });
      Thread.yield();
    }
  }

  private static long lastOf(List<Long> ids) {
    return ids.isEmpty() ? 0 : ids.get(ids.size() - 1);
  }

  /** One poll request: what it asked and how often it was answered. */
  private static final class Attempt {
    final long last;
    final long startedAt;
    final AtomicInteger answers = new AtomicInteger();
    /** Whoever sets it goes on: the answer, or the client giving up (which then polls again). */
    final AtomicBoolean settled = new AtomicBoolean();
    volatile boolean cancelIssued;

    Attempt(long last, long startedAt) {
      this.last = last;
      this.startedAt = startedAt;
    }
  }

  /** A terminal: polls with the highest id it saw, and polls again once answered or given up. */
  private final class Poller {
    final List<String> channels;
    final Duration timeout;
    final Random random;
    private final List<Long> seen = new ArrayList<>();
    private long last;

    Poller(List<String> channels, Duration timeout, Random random) {
      this.channels = channels;
      this.timeout = timeout;
      this.random = random;
    }

    synchronized long lastSeen() {
      return last;
    }

    synchronized List<Long> seen() {
      return List.copyOf(seen);
    }

    void pollAgain() {
      if (stopping) {
        return;
      }
      long from;
      boolean giveUp;
      synchronized (this) {
        from = last;
        giveUp = random.nextInt(8) == 0;
      }
      Attempt a = new Attempt(from, timers.clock().millis());
      attempts.add(a);
      Runnable cancel = bus.poll(channels, from, false, timeout, answer -> answered(a, answer));
      if (giveUp) {
        submit(cancellers, () -> {
          a.cancelIssued = true;
          boolean first = a.settled.compareAndSet(false, true);
          cancel.run(); // may come after the answer: then it does nothing
          if (first) {
            pollAgain(); // the client saw its request fail and polls again from the same id
          }
        });
      }
    }

    private void answered(Attempt a, List<Notification> answer) {
      if (a.answers.incrementAndGet() > 1) {
        problems.add("poll answered twice: " + answer);
      }
      long previous = 0;
      for (Notification n : answer) {
        if (!channels.contains(n.channel())) {
          problems.add("id " + n.id() + " on " + n.channel() + ", not one of " + channels);
        }
        if (n.id() <= previous) {
          problems.add("ids out of order: " + previous + " then " + n.id());
        }
        previous = n.id();
        boolean wanted = a.last == 0
            ? n.createdAt() > a.startedAt - Bus.FIRST_POLL_WINDOW.toMillis()
            : n.id() > a.last;
        if (!wanted) {
          problems.add("id " + n.id() + " in the answer to last=" + a.last);
        }
      }
      if (!a.settled.compareAndSet(false, true)) {
        return; // the client gave up first: this answer goes nowhere (as in the HTTP layer)
      }
      synchronized (this) {
        for (Notification n : answer) {
          seen.add(n.id());
          last = n.id();
        }
      }
      submit(repoll, this::pollAgain);
    }

    private void submit(ExecutorService executor, Runnable task) {
      try {
        executor.execute(task);
      } catch (RejectedExecutionException stopped) {
        // quiescing: no more polls
      }
    }
  }
}
