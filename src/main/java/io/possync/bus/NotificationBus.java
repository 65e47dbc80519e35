package io.possync.bus;

import io.possync.wire.Channel;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
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
 * The long-polling bus: global notification ids, per-channel retention and parked polls.
 *
 * <p>Odoo's bus semantics (PROTOCOL.md §3.2, §4): a poll with {@code last == 0} gets what its
 * channels received in the last 50 s, otherwise everything retained with {@code id > last}; if
 * that is empty the poll is parked — no thread held — until a publish on one of its channels or
 * the timeout. Ids are assigned and appended under one lock, so they become visible in id order
 * and a poller can never skip an id that arrives late (the reference's §7.3 race).
 */
public final class NotificationBus {
  /** Odoo's {@code TIMEOUT}: a first poll ({@code last == 0}) sees this much history. */
  public static final Duration FIRST_POLL_WINDOW = Duration.ofSeconds(50);
  /** Ids stay below 2^53 so that JavaScript clients hold them exactly (PROTOCOL.md §4.4). */
  public static final long MAX_ID = (1L << 53) - 1;
  /**
   * Highest value a client's {@code last} may move the counter to (see {@link #poll}): half of
   * {@link #MAX_ID}, so that whatever clients send, ids never run past 2^53 (the 2^52 ids left
   * last 140 years at a million a second). Without the bound one poll with
   * {@code last = 2^53 - 1} made every later id unusable for every client (found by FuzzTest).
   */
  public static final long MAX_JUMP = 1L << 52;

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
  public NotificationBus(Clock clock, ScheduledExecutorService scheduler, Duration retention,
      long maxRetainedBytes, int maxHeldPolls) {
    this(clock, scheduler, retention, maxRetainedBytes, maxHeldPolls, BusListener.NONE);
  }

  /**
   * @param listener told of every publication and of every parked poll it answers
   */
  public NotificationBus(Clock clock, ScheduledExecutorService scheduler, Duration retention,
      long maxRetainedBytes, int maxHeldPolls, BusListener listener) {
    this.listener = listener;
    this.clock = clock;
    this.scheduler = scheduler;
    this.retention = retention;
    this.maxRetainedBytes = maxRetainedBytes;
    this.maxHeldPolls = maxHeldPolls;
  }

  /** Highest id handed out so far. */
  public long lastId() {
    lock.lock();
    try {
      return lastId;
    } finally {
      lock.unlock();
    }
  }

  /** Number of polls currently parked. */
  public int heldPolls() {
    lock.lock();
    try {
      return heldPolls;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Assigns ids to the batch in order, makes it pollable and wakes the polls waiting on its
   * channels. Returns the notifications with their ids.
   */
  public List<Notification> publish(List<Outgoing> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    long started = System.nanoTime();
    List<Notification> published = new ArrayList<>(batch.size());
    List<Wake> wakes = new ArrayList<>();
    long now = clock.millis();
    lock.lock();
    try {
      for (Outgoing out : batch) {
        Notification n = Notification.of(++lastId, out, now);
        retainLocked(n);
        published.add(n);
      }
      wakeLocked(published, now, wakes);
    } finally {
      lock.unlock();
    }
    complete(wakes, true, started);
    listener.published(published.size());
    return published;
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

  /**
   * Reserves {@code count} consecutive ids for notifications that will be {@link #append}ed once
   * they are durable. Returns the first. Reserved ids count as handed out, so a poll's
   * {@code last} can never overtake them. Only one thread (the store's writer) may use
   * reserve/append, and in that mode {@link #publish} must not be used.
   */
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


  /** Makes notifications with reserved ids pollable, in id order, and wakes their pollers. */
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
      // never see our next ids; jump past it (PROTOCOL.md §4.4), but never beyond MAX_JUMP.
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

  /**
   * Answers every parked poll now with what it would get at its timeout (normally nothing); used
   * when the server stops, so that terminals re-poll at once instead of seeing a broken request.
   */
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

  /** Drops notifications older than the retention; called periodically. */
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

  /** Approximate memory the retained notifications take, in bytes. */
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

  /** Forgets every retained notification (ids keep counting); a test aid like Odoo's bus GC. */
  public void dropRetained() {
    lock.lock();
    try {
      logs.clear();
      retained.clear();
      retainedBytes = 0;
    } finally {
      lock.unlock();
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
