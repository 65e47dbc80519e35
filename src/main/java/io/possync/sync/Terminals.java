package io.possync.sync;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The registered terminals of the multi-sessions in memory, one object per POS config of a
 * database, shared by the multi-session it is at home in and any it moved away from (which skip it
 * from then on). Bounded by the hot state: the owner calls {@link #forget} when a multi-session
 * leaves memory. A terminal object is guarded by its home multi-session's lock.
 */
public final class Terminals {
  private final ConcurrentMap<TerminalKey, Terminal> byKey = new ConcurrentHashMap<>();
  /** In a cluster a loaded row is the truth: other nodes move message_IDs on. */
  private final boolean rowsWin;

  /** The terminals of one node, where memory is never behind the store. */
  public Terminals() {
    this(false);
  }

  /**
   * @param rowsWin true in a cluster: a multi-session is only loaded when its copy here is stale
   *                or failed, so its stored rows replace the terminals in memory
   */
  public Terminals(boolean rowsWin) {
    this.rowsWin = rowsWin;
  }

  Terminal get(TerminalKey key) {
    return byKey.get(key);
  }

  /**
   * The terminal of a loaded row. On one node an object already in memory wins (it may be ahead
   * of the row); in a cluster the row does (another node may have moved it on).
   */
  Terminal adopt(TerminalRow row) {
    if (rowsWin) {
      Terminal fresh = Terminal.fromRow(row);
      byKey.put(row.key(), fresh);
      return fresh;
    }
    return byKey.computeIfAbsent(row.key(), k -> Terminal.fromRow(row));
  }

  /**
   * Makes {@code home} the terminal's home, creating it from its stored row or anew; the move and
   * the creation are one atomic step, so {@link #forget} never drops a terminal just moved.
   */
  Terminal register(TerminalKey key, MultiSessionKey home, long userId, TerminalRow stored) {
    return byKey.compute(key, (k, t) -> {
      Terminal registered = t != null ? t
          : stored != null ? Terminal.fromRow(stored) : new Terminal(k, home, userId);
      registered.home = home;
      registered.userId = userId;
      return registered;
    });
  }

  /** The multi-session a POS config is at home in, if its terminal is in memory. */
  public Optional<MultiSessionKey> homeOf(TerminalKey key) {
    Terminal t = byKey.get(key);
    return t == null ? Optional.empty() : Optional.of(t.home);
  }

  /**
   * Drops the terminals at home in a multi-session that left memory. The caller guarantees that no
   * object of that multi-session is in use (none cached, none with uncommitted outcomes).
   */
  public void forget(MultiSession ms) {
    for (Long posId : ms.members) {
      byKey.computeIfPresent(new TerminalKey(ms.key.dbname(), posId),
          (k, t) -> t.home.equals(ms.key) ? null : t);
    }
  }

  /** Terminals in memory. */
  public int size() {
    return byKey.size();
  }
}
