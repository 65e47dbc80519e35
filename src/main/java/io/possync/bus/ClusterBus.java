package io.possync.bus;

import io.possync.wire.Notification;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bus of a cluster node: an {@link InMemoryBus} that mirrors, in id order, the notifications
 * every node commits to the shared table (docs/cluster.md). Polls are answered from memory, as on
 * one node, so they keep being answered while the database is away.
 *
 * <p>Ids are numbered by the shared store inside each committing transaction, and transactions
 * that took ids commit in id order; so the table never shows an id before a smaller one, and
 * appending what it shows, in order, keeps the contract of {@link Bus}: a poller never skips an
 * id. A follower thread appends what other nodes committed: it wakes on PostgreSQL's
 * {@code NOTIFY} and, in case one is missed, every {@link #SAFETY_NET} anyway; a missed signal
 * costs latency, never a message. This node's own commits are appended at once when nothing
 * from other nodes comes before them, else by the follower.
 */
public final class ClusterBus implements Bus, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterBus.class);
  /** Longest a notification committed elsewhere waits if its signal is lost. */
  static final Duration SAFETY_NET = Duration.ofSeconds(1);
  private static final int FETCH = 2000;

  private final InMemoryBus local;
  private final BusFeed feed;
  private final Object appendLock = new Object();
  /** Every committed id up to this one is in {@link #local}. Guarded by appendLock. */
  private long appended;
  /** The highest id this node knows was handed out anywhere. */
  private volatile long known;
  /** A client's {@code last} the shared counter must pass (docs/protocol.md §4.4), or 0. */
  private final AtomicLong raiseTo = new AtomicLong();
  private final Thread follower;
  private volatile boolean running = true;
  private volatile boolean feedDown;

  public ClusterBus(InMemoryBus local, BusFeed feed) {
    this.local = local;
    this.feed = feed;
    this.follower = new Thread(this::follow, "possync-bus-follower");
    this.follower.setDaemon(true);
  }

  /** Starts following the shared table; call after {@link #restore}. */
  public void start() {
    follower.start();
  }

  /** Ids come from the shared store's counter: see {@code Store#commitNumbered}. */
  @Override
  public long reserve(int count) {
    throw new UnsupportedOperationException("a cluster's ids are numbered by the shared store");
  }

  /**
   * This node's committed batch: appended now if it comes right after what is here, else left to
   * the follower, which reads it back in order with what other nodes committed before it.
   */
  @Override
  public void append(List<Notification> batch) {
    if (batch.isEmpty()) {
      return;
    }
    synchronized (appendLock) {
      if (batch.get(0).id() == appended + 1) {
        appendLocked(batch);
      }
    }
  }

  // guarded by appendLock
  private void appendLocked(List<Notification> batch) {
    long last = batch.get(batch.size() - 1).id();
    local.reserveThrough(last);
    local.append(batch);
    appended = last;
    if (last > known) {
      known = last;
    }
  }

  @Override
  public Runnable poll(Collection<String> channels, long last, boolean peek, Duration timeout,
      PollCallback callback) {
    if (last > known && last <= MAX_ID) {
      // Ahead of every id handed out (a client of an earlier store): the shared counter must
      // pass it too, or this client would never see the cluster's next ids. The local bus jumps
      // at once; the follower moves the counter.
      raiseTo.accumulateAndGet(Math.min(last, MAX_JUMP), Math::max);
    }
    return local.poll(channels, last, peek, timeout, callback);
  }

  @Override
  public void restore(long lastHandedOut, List<Notification> retained) {
    local.restore(lastHandedOut, retained);
    synchronized (appendLock) {
      long newest = retained.isEmpty() ? 0 : retained.get(retained.size() - 1).id();
      appended = Math.max(lastHandedOut, newest);
      known = appended;
    }
  }

  @Override
  public long lastId() {
    return local.lastId();
  }

  @Override
  public int heldPolls() {
    return local.heldPolls();
  }

  @Override
  public long retainedBytes() {
    return local.retainedBytes();
  }

  @Override
  public void sweep() {
    local.sweep();
  }

  @Override
  public void releaseAll() {
    local.releaseAll();
  }

  /** Whether the follower reaches the shared table (false while the database is away). */
  public boolean following() {
    return !feedDown;
  }

  private void follow() {
    while (running) {
      try {
        long heard = feed.await(SAFETY_NET);
        if (heard > known) {
          known = heard;
        }
        catchUp();
        long raise = raiseTo.getAndSet(0);
        if (raise > known) {
          long now = feed.raise(raise);
          if (now > known) {
            known = now;
          }
        }
        if (feedDown) {
          feedDown = false;
          LOG.info("event=bus_follower_resumed appended={}", appendedNow());
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (!feedDown) {
          feedDown = true;
          LOG.warn("event=bus_follower_failed error={}", e.toString());
        }
        try {
          Thread.sleep(SAFETY_NET.toMillis());
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  /** Appends everything committed after what is here, in id order. */
  void catchUp() {
    while (true) {
      long from = appendedNow();
      List<Notification> rows = feed.after(from, FETCH);
      if (rows.isEmpty()) {
        return;
      }
      synchronized (appendLock) {
        List<Notification> fresh = new ArrayList<>(rows.size());
        for (Notification n : rows) {
          if (n.id() > appended) {
            fresh.add(n);
          }
        }
        if (!fresh.isEmpty()) {
          appendLocked(fresh);
        }
      }
      if (rows.size() < FETCH) {
        return;
      }
    }
  }

  private long appendedNow() {
    synchronized (appendLock) {
      return appended;
    }
  }

  /** Stops the follower, then closes the feed it listened on. */
  @Override
  public void close() {
    running = false;
    follower.interrupt();
    try {
      follower.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    feed.close();
  }
}
