package io.possync.pipeline;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.possync.store.LoadedMultiSession;
import io.possync.store.Store;
import io.possync.sync.MultiSession;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.Terminals;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ForkJoinPool;

/**
 * The multi-sessions held in memory: cold ones are evicted when their weight passes
 * {@code state.hot_bytes} and reloaded from the store on demand, with their terminals.
 *
 * <p>Loading happens before any multi-session lock is taken, under a lock striped by key, so two
 * requests never load the same multi-session twice and a load never reads the store between an
 * outcome's decision and its commit: an object with outcomes not yet durable is <em>pinned</em>,
 * and a pinned object is handed out again instead of being reloaded (the store lacks its
 * outcomes). A multi-session's terminals leave memory with it, once nothing uses it.
 */
final class HotState {
  private static final int STRIPES = 64;

  private final Store store;
  private final Terminals terminals;
  private final Clock clock;
  private final Cache<MultiSessionKey, HotMultiSession> cache;
  /** Objects with outcomes not yet committed, by key. */
  private final ConcurrentMap<MultiSessionKey, HotMultiSession> pinned = new ConcurrentHashMap<>();
  private final Object[] loading = new Object[STRIPES];

  /**
   * @param hotBytes approximate heap the multi-sessions may take before the least recently used
   *                 are evicted
   */
  HotState(Store store, Terminals terminals, Clock clock, long hotBytes) {
    this.store = store;
    this.terminals = terminals;
    this.clock = clock;
    for (int i = 0; i < STRIPES; i++) {
      loading[i] = new Object();
    }
    this.cache = Caffeine.newBuilder()
        .maximumWeight(hotBytes)
        .<MultiSessionKey, HotMultiSession>weigher((k, h) -> h.state.weight())
        // Runs on a pool thread, never inside the cache's own locks or a caller's.
        .removalListener((MultiSessionKey k, HotMultiSession h, RemovalCause cause) -> {
          if (h != null) {
            retire(k, h);
          }
        })
        .build();
  }

  /**
   * The multi-session, from memory or else from the store (a fresh one if it never existed).
   * Never called holding a multi-session lock: it may read the store.
   */
  HotMultiSession get(MultiSessionKey key) {
    HotMultiSession h = cache.getIfPresent(key);
    if (h != null && !h.broken && current(h)) {
      return h;
    }
    synchronized (stripe(key)) {
      h = cache.getIfPresent(key);
      if (h != null && !h.broken && current(h)) {
        return h;
      }
      HotMultiSession p = pinned.get(key);
      if (p == null || p.broken) {
        if (h != null && store.shared()) {
          // A stale copy: no decision may run on it while its terminals are replaced by the
          // stored rows; one that starts later sees it is no longer current and comes back here.
          h.lock.lock();
          try {
            h.broken = true;
            p = load(key);
          } finally {
            h.lock.unlock();
          }
        } else {
          p = load(key);
        }
      }
      cache.put(key, p);
      return p;
    }
  }

  private HotMultiSession load(MultiSessionKey key) {
    LoadedMultiSession loaded = store.loadWithRevision(key);
    MultiSession state = loaded.snapshot()
        .map(snapshot -> MultiSession.restore(snapshot, terminals))
        .orElseGet(() -> MultiSession.fresh(key, clock.millis()));
    HotMultiSession p = new HotMultiSession(state);
    p.revision = loaded.revision();
    return p;
  }

  /**
   * Whether {@code h} is still what the store holds: always on one node; in a cluster, unless
   * another node decided on it since (then it is reloaded before deciding, rather than decided on
   * and refused at commit). An object with outcomes in flight is ahead of the store: it stays.
   */
  private boolean current(HotMultiSession h) {
    if (!store.shared() || pinned.get(h.state.key()) == h) {
      return true;
    }
    return store.revisionOf(h.state.key()) == h.revision;
  }

  /** Whether {@code h} is still the object in memory for its key (not evicted, not failed). */
  boolean isCurrent(HotMultiSession h) {
    return !h.broken && cache.getIfPresent(h.state.key()) == h;
  }

  /** Re-weighs {@code h} after a change (the cache weighs an entry when it is put). */
  void reweigh(HotMultiSession h) {
    cache.asMap().replace(h.state.key(), h, h);
  }

  /**
   * Marks {@code h} as ahead of the store: the next request reloads its multi-session. In a
   * cluster, outcomes decided on it that are still queued are refused at their commit.
   */
  void fail(HotMultiSession h) {
    h.broken = true;
    cache.asMap().remove(h.state.key(), h);
  }

  /** Counts one more outcome of {@code h} on its way to the store. Call holding its lock. */
  void pin(HotMultiSession h) {
    pinned.compute(h.state.key(), (k, current) -> {
      h.pins++;
      return h;
    });
  }

  /** One outcome of {@code h} was committed (or failed). */
  void unpin(HotMultiSession h) {
    boolean last = pinned.compute(h.state.key(), (k, current) -> {
      h.pins--;
      return current == h && h.pins == 0 ? null : current;
    }) == null;
    if (last && cache.getIfPresent(h.state.key()) != h) {
      // Evicted while its outcomes were in flight: its terminals can go now. Not on this thread,
      // which may be the commit writer: retiring waits for a load that may read the store.
      ForkJoinPool.commonPool().execute(() -> retire(h.state.key(), h));
    }
  }

  /**
   * Drops the terminals of a multi-session that left memory, unless an object of it is still (or
   * again) in use. Under the load stripe, so no load installs an object meanwhile, and under the
   * object's lock, so no decision runs on it meanwhile.
   */
  private void retire(MultiSessionKey key, HotMultiSession h) {
    synchronized (stripe(key)) {
      h.lock.lock();
      try {
        if (cache.getIfPresent(key) == null && !pinned.containsKey(key)) {
          terminals.forget(h.state);
        }
      } finally {
        h.lock.unlock();
      }
    }
  }

  /** The multi-session in memory, if it is. */
  Optional<HotMultiSession> ifPresent(MultiSessionKey key) {
    return Optional.ofNullable(cache.getIfPresent(key));
  }

  /** The multi-sessions in memory now. */
  List<HotMultiSession> all() {
    return List.copyOf(cache.asMap().values());
  }

  /** Number of multi-sessions in memory. */
  long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  private Object stripe(MultiSessionKey key) {
    return loading[Math.floorMod(key.hashCode(), STRIPES)];
  }
}
