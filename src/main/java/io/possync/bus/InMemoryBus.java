package io.possync.bus;

import io.possync.wire.Channel;
import io.possync.wire.Notification;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bus in one node's memory: global notification ids, per-channel retention and parked polls.
 *
 * <p>Odoo's bus semantics (docs/protocol.md §3.2, §4): a poll with {@code last == 0} gets what its
 * channels received in the last 50 s, otherwise everything retained with {@code id > last}; if
 * that is empty the poll is parked — no thread held — until a publish on one of its channels or
 * the timeout. Ids are assigned and appended under one lock, so they become visible in id order
 * and a poller can never skip an id that arrives late (the reference's §7.3 race).
 */
public final class InMemoryBus implements Bus {
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Duration retention;
  private final long maxRetainedBytes;
  private final int maxHeldPolls;
  private final BusListener listener;

  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock
  private long lastId;
  private final Map<String, ArrayDeque<Notification>> logs = new HashMap<>();
  /** Every retained notification in id order: eviction always takes the oldest first. */
  private final ArrayDeque<Notification> retained = new ArrayDeque<>();
  private long retainedBytes;
  private final Map<String, Set<ParkedPoll>> parkedByChannel = new HashMap<>();
  private int heldPolls;

  /**
   * @param retention     how long a notification stays pollable (at least Odoo's 100 s)
   * @param maxRetainedBytes bound on the memory retained notifications take (approximate);
   *                      beyond it the oldest go first (a client that missed them sees a
   *                      message_ID gap and resyncs)
   * @param maxHeldPolls  bound on parked polls; beyond it polls are refused with
   *                      {@link PollLimitException}
   */
  public InMemoryBus(Clock clock, ScheduledExecutorService scheduler, Duration retention,
      long maxRetainedBytes, int maxHeldPolls) {
    this(clock, scheduler, retention, maxRetainedBytes, maxHeldPolls, BusListener.NONE);
  }

  /**
   * @param listener told of every publication and of every parked poll it answers
   */
  public InMemoryBus(Clock clock, ScheduledExecutorService scheduler, Duration retention,
      long maxRetainedBytes, int maxHeldPolls, BusListener listener) {
    this.listener = listener;
    this.clock = clock;
    this.scheduler = scheduler;
    this.retention = retention;
    this.maxRetainedBytes = maxRetainedBytes;
    this.maxHeldPolls = maxHeldPolls;
  }

  @Override
  public long lastId() {
    lock.lock();
    try {
      return lastId;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int heldPolls() {
    lock.lock();
    try {
      return heldPolls;
    } finally {
      lock.unlock();
    }
  }

  // guarded by lock: unparks the polls waiting on these channels and computes their answers.
  private void wakeLocked(List<Notification> batch, long now, List<Wake> wakes) {
    for (Notification n : batch) {
      Set<ParkedPoll> waiting = parkedByChannel.get(n.channel());
      if (waiting != null) {
        for (ParkedPoll p : List.copyOf(waiting)) {
          unpark(p);
          wakes.add(new Wake(p, collect(p.channels, p.last, now)));
        }
      }
    }
  }

  /**
   * Answers woken polls outside the lock; {@code publishedAt} ({@link System#nanoTime()}) is when
   * the publication that woke them began, if {@code published} (not when the server stops).
   */
  private void complete(List<Wake> wakes, boolean published, long publishedAt) {
    for (Wake w : wakes) {
      ScheduledFuture<?> timer = w.poll.timer; // null if the poll was woken before its timer was set
      if (timer != null) {
        timer.cancel(false);
      }
      w.poll.callback.complete(w.result);
      if (published) {
        listener.delivered(System.nanoTime() - publishedAt);
      }
    }
  }

  @Override
  public long reserve(int count) {
    lock.lock();
    try {
      long first = lastId + 1;
      lastId += count;
      return first;
    } finally {
      lock.unlock();
    }
  }


  @Override
  public void append(List<Notification> batch) {
    if (batch.isEmpty()) {
      return;
    }
    long started = System.nanoTime();
    List<Wake> wakes = new ArrayList<>();
    long now = clock.millis();
    lock.lock();
    try {
      for (Notification n : batch) {
        retainLocked(n);
      }
      wakeLocked(batch, now, wakes);
    } finally {
      lock.unlock();
    }
    complete(wakes, true, started);
    listener.published(batch.size());
  }

  /**
   * Restores the state of a previous run at start-up: ids continue above {@code lastHandedOut}
   * and the retained notifications (in id order) are pollable again.
   */
  @Override
  public void restore(long lastHandedOut, List<Notification> retained) {
    lock.lock();
    try {
      lastId = Math.max(lastId, lastHandedOut);
      for (Notification n : retained) {
        lastId = Math.max(lastId, n.id());
        retainLocked(n);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Answers a poll: at once if anything is there (or {@code peek}), else parks it for
   * {@code timeout}. Returns a handle whose {@link Runnable#run()} cancels a parked poll (client
   * gone); cancelling an answered poll does nothing.
   *
   * @throws IllegalArgumentException if {@code last} is above {@link #MAX_ID}
   * @throws PollLimitException       if the poll would have to be parked and the bound is reached
   */
  @Override
  public Runnable poll(Collection<String> channels, long last, boolean peek, Duration timeout,
      PollCallback callback) {
    if (last > MAX_ID) {
      throw new IllegalArgumentException("last must be below 2^53");
    }
    Set<String> wanted = new LinkedHashSet<>();
    for (String c : channels) {
      wanted.add(Channel.canonical(c));
    }
    long now = clock.millis();
    List<Notification> ready;
    ParkedPoll parked = null;
    lock.lock();
    try {
      // A client whose `last` is ahead of us (we lost ids, or it came from a foreign bus) would
      // never see our next ids; jump past it (docs/protocol.md §4.4), but never beyond MAX_JUMP.
      if (last > lastId && lastId < MAX_JUMP) {
        lastId = Math.min(last, MAX_JUMP);
      }
      ready = collect(wanted, last, now);
      if (ready.isEmpty() && !peek) {
        if (heldPolls >= maxHeldPolls) {
          throw new PollLimitException("too many held polls (" + maxHeldPolls + ")");
        }
        parked = new ParkedPoll(wanted, last, callback);
        for (String c : wanted) {
          parkedByChannel.computeIfAbsent(c, k -> new LinkedHashSet<>()).add(parked);
        }
        heldPolls++;
      }
    } finally {
      lock.unlock();
    }
    if (parked == null) {
      callback.complete(ready);
      return () -> { };
    }
    ParkedPoll p = parked;
    p.timer = scheduler.schedule(() -> expire(p), timeout.toMillis(), TimeUnit.MILLISECONDS);
    return () -> cancel(p);
  }

  @Override
  public void releaseAll() {
    List<Wake> wakes = new ArrayList<>();
    long now = clock.millis();
    lock.lock();
    try {
      java.util.Set<ParkedPoll> all = new java.util.LinkedHashSet<>();
      parkedByChannel.values().forEach(all::addAll);
      for (ParkedPoll p : all) {
        unpark(p);
        wakes.add(new Wake(p, collect(p.channels, p.last, now)));
      }
    } finally {
      lock.unlock();
    }
    complete(wakes, false, 0);
  }

  @Override
  public void sweep() {
    long horizon = clock.millis() - retention.toMillis();
    lock.lock();
    try {
      while (!retained.isEmpty() && retained.peekFirst().createdAt() < horizon) {
        evictOldestLocked();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long retainedBytes() {
    lock.lock();
    try {
      return retainedBytes;
    } finally {
      lock.unlock();
    }
  }

  // guarded by lock. Notifications arrive in id order, so every channel's log and the global
  // queue are in id order, and the globally oldest is always the head of its channel's log.
  private void retainLocked(Notification n) {
    logs.computeIfAbsent(n.channel(), c -> new ArrayDeque<>()).addLast(n);
    retained.addLast(n);
    retainedBytes += n.footprint();
    while (retainedBytes > maxRetainedBytes && retained.size() > 1) {
      evictOldestLocked();
    }
  }

  // guarded by lock
  private void evictOldestLocked() {
    Notification n = retained.pollFirst();
    retainedBytes -= n.footprint();
    ArrayDeque<Notification> log = logs.get(n.channel());
    if (log != null && log.peekFirst() == n) {
      log.removeFirst();
      if (log.isEmpty()) {
        logs.remove(n.channel());
      }
    }
  }

  private void expire(ParkedPoll p) {
    List<Notification> result;
    lock.lock();
    try {
      if (p.done) {
        return;
      }
      unpark(p);
      result = collect(p.channels, p.last, clock.millis());
    } finally {
      lock.unlock();
    }
    p.callback.complete(result);
  }

  private void cancel(ParkedPoll p) {
    lock.lock();
    try {
      if (p.done) {
        return;
      }
      unpark(p);
    } finally {
      lock.unlock();
    }
    ScheduledFuture<?> timer = p.timer;
    if (timer != null) {
      timer.cancel(false);
    }
  }

  // guarded by lock
  private void unpark(ParkedPoll p) {
    p.done = true;
    heldPolls--;
    for (String c : p.channels) {
      Set<ParkedPoll> set = parkedByChannel.get(c);
      if (set != null) {
        set.remove(p);
        if (set.isEmpty()) {
          parkedByChannel.remove(c);
        }
      }
    }
  }

  // guarded by lock. Walks each log from the newest end, so a poll costs what it returns.
  private List<Notification> collect(Set<String> channels, long last, long now) {
    long since = now - FIRST_POLL_WINDOW.toMillis();
    List<Notification> out = new ArrayList<>();
    for (String c : channels) {
      ArrayDeque<Notification> log = logs.get(c);
      if (log == null) {
        continue;
      }
      Iterator<Notification> it = log.descendingIterator();
      while (it.hasNext()) {
        Notification n = it.next();
        boolean wanted = last == 0 ? n.createdAt() > since : n.id() > last;
        if (!wanted) {
          break;
        }
        out.add(n);
      }
    }
    out.sort(Comparator.comparingLong(Notification::id));
    return out;
  }

  private static final class ParkedPoll {
    final Set<String> channels;
    final long last;
    final PollCallback callback;
    volatile ScheduledFuture<?> timer;
    boolean done; // guarded by the bus lock

    ParkedPoll(Set<String> channels, long last, PollCallback callback) {
      this.channels = channels;
      this.last = last;
      this.callback = callback;
    }
  }

  private record Wake(ParkedPoll poll, List<Notification> result) {}
}
