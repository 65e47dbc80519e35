package io.possync.bus;

import io.possync.time.Scheduler;
import io.possync.wire.Channel;
import io.possync.wire.Notification;
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
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bus in one node's memory: global notification ids, per-channel retention and parked polls.
 *
 * <p>Odoo's bus semantics (docs/protocol.md §3.2, §4): a poll with {@code last == 0} gets what its
 * channels received in the last 50 s, otherwise everything retained with {@code id > last}; if
 * that is empty the poll is parked — no thread held — until a publish on one of its channels or
 * the timeout. Ids are reserved and appended under one lock by the one writer, so they become
 * visible in id order and a poller can never skip an id that arrives late (the reference's §7.3
 * race).
 *
 * <p>The lock guards the id counter, the retained notifications and the index of parked polls by
 * channel. Who answers a parked poll, and on which thread, is settled by the poll itself
 * ({@link ParkedPoll}), and answers are written outside the lock.
 */
public final class InMemoryBus implements Bus {
  private static final Runnable NOTHING_TO_CANCEL = () -> { };

  private final Scheduler scheduler;
  private final Duration retention;
  private final long maxRetainedBytes;
  private final int maxHeldPolls;
  private final BusListener listener;
  private final ParkedPoll.Index index = new ParkedPoll.Index() {
    @Override
    public List<Notification> expire(ParkedPoll poll) {
      long now = scheduler.clock().millis();
      lock.lock();
      try {
        unparkLocked(poll);
        return collect(poll.channels, poll.last, now);
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void forget(ParkedPoll poll) {
      lock.lock();
      try {
        unparkLocked(poll);
      } finally {
        lock.unlock();
      }
    }
  };

  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock
  private long lastId;
  /** Highest id appended (or restored): appends must come in id order. */
  private long lastAppended;
  private final Map<String, ArrayDeque<Notification>> logs = new HashMap<>();
  /** Every retained notification in id order: eviction always takes the oldest first. */
  private final ArrayDeque<Notification> retained = new ArrayDeque<>();
  private long retainedBytes;
  private final Map<String, Set<ParkedPoll>> parkedByChannel = new HashMap<>();
  private int heldPolls;

  /**
   * @param scheduler     the clock (time stamps, retention, first-poll window) and the poll timers
   * @param retention     how long a notification stays pollable (at least Odoo's 100 s)
   * @param maxRetainedBytes bound on the memory retained notifications take (approximate);
   *                      beyond it the oldest go first (a client that missed them sees a
   *                      message_ID gap and resyncs)
   * @param maxHeldPolls  bound on parked polls; beyond it polls are refused with
   *                      {@link PollLimitException}
   */
  public InMemoryBus(Scheduler scheduler, Duration retention, long maxRetainedBytes,
      int maxHeldPolls) {
    this(scheduler, retention, maxRetainedBytes, maxHeldPolls, BusListener.NONE);
  }

  /**
   * @param listener told of every publication and of every parked poll it answers
   */
  public InMemoryBus(Scheduler scheduler, Duration retention, long maxRetainedBytes,
      int maxHeldPolls, BusListener listener) {
    this.listener = listener;
    this.scheduler = scheduler;
    this.retention = retention;
    this.maxRetainedBytes = maxRetainedBytes;
    this.maxHeldPolls = maxHeldPolls;
  }

  @Override
  public long lastId() {
    return locked(() -> lastId);
  }

  @Override
  public int heldPolls() {
    return locked(() -> heldPolls);
  }

  @Override
  public long reserve(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("cannot reserve " + count + " ids");
    }
    lock.lock();
    try {
      long first = lastId + 1;
      lastId += count;
      return first;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Counts every id up to {@code id} as handed out, for a bus that mirrors ids numbered
   * elsewhere ({@link ClusterBus}): they may then be appended, in id order.
   */
  public void reserveThrough(long id) {
    lock.lock();
    try {
      lastId = Math.max(lastId, id);
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
    long now = scheduler.clock().millis();
    lock.lock();
    try {
      // Out of id order a poller could see an id and later one below it: refuse the batch whole.
      long previous = lastAppended;
      for (Notification n : batch) {
        if (n.id() <= previous || n.id() > lastId) {
          throw new IllegalStateException("append of id " + n.id() + " after " + previous
              + " (reserved up to " + lastId + ")");
        }
        previous = n.id();
      }
      lastAppended = previous;
      for (Notification n : batch) {
        retainLocked(n);
      }
      for (Notification n : batch) {
        Set<ParkedPoll> waiting = parkedByChannel.get(n.channel());
        if (waiting == null) {
          continue;
        }
        for (ParkedPoll p : List.copyOf(waiting)) {
          // Only news wakes a poll. A cluster's mirror appends ids a poll may already have seen
          // through another node (its last is ahead of this node's copy): answering it then
          // would be an empty answer before its timeout.
          if (p.last == 0 || n.id() > p.last) {
            // A poll that timed out or was cancelled meanwhile stays until its winner unparks it.
            claimLocked(p, ParkedPoll.State.WOKEN, now, wakes);
          }
        }
      }
    } finally {
      lock.unlock();
    }
    for (Wake w : wakes) {
      w.poll.answer(w.answer);
      listener.delivered(System.nanoTime() - started);
    }
    listener.published(batch.size());
  }

  @Override
  public void restore(long lastHandedOut, List<Notification> retained) {
    lock.lock();
    try {
      lastId = Math.max(lastId, lastHandedOut);
      for (Notification n : retained) {
        lastId = Math.max(lastId, n.id());
        lastAppended = Math.max(lastAppended, n.id());
        retainLocked(n);
      }
    } finally {
      lock.unlock();
    }
  }

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
    long now = scheduler.clock().millis();
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
        // Collected and entered under one lock, so no append can fall in between; its timer is
        // armed before it enters the index, so no wake can come before the timer exists.
        parked = new ParkedPoll(wanted, last, callback, index, scheduler, timeout);
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
      return NOTHING_TO_CANCEL;
    }
    return parked::cancel;
  }

  @Override
  public void releaseAll() {
    List<Wake> wakes = new ArrayList<>();
    long now = scheduler.clock().millis();
    lock.lock();
    try {
      Set<ParkedPoll> all = new LinkedHashSet<>();
      parkedByChannel.values().forEach(all::addAll);
      for (ParkedPoll p : all) {
        claimLocked(p, ParkedPoll.State.RELEASED, now, wakes);
      }
    } finally {
      lock.unlock();
    }
    for (Wake w : wakes) {
      w.poll.answer(w.answer);
    }
  }

  @Override
  public void sweep() {
    long horizon = scheduler.clock().millis() - retention.toMillis();
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
    return locked(() -> retainedBytes);
  }

  // guarded by lock; only the poll's winner calls it, once.
  private void unparkLocked(ParkedPoll p) {
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

  private record Wake(ParkedPoll poll, List<Notification> answer) {}

  // guarded by lock: takes a poll for a wake or a release, if nothing else took it, and computes
  // its answer (written after the lock is released)
  private void claimLocked(ParkedPoll p, ParkedPoll.State how, long now, List<Wake> wakes) {
    if (p.claim(how)) {
      unparkLocked(p);
      wakes.add(new Wake(p, collect(p.channels, p.last, now)));
    }
  }

  /** A field read under the bus lock (its writers hold it too). */
  private <T> T locked(java.util.function.Supplier<T> read) {
    lock.lock();
    try {
      return read.get();
    } finally {
      lock.unlock();
    }
  }
}
