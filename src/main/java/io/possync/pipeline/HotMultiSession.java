package io.possync.pipeline;

import io.possync.sync.MultiSession;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A multi-session in memory with what serializes it: its lock (every decision on it holds it), the
 * count of its outcomes not yet durable, and whether a commit of it failed.
 */
final class HotMultiSession {
  final MultiSession state;
  /** Held for every decision on {@link #state}: one total order per multi-session (D3). */
  final ReentrantLock lock = new ReentrantLock();
  /** Outcomes accepted by the writer and not yet committed; guarded by HotState's pin map. */
  int pins;
  /**
   * Set when a commit of its outcomes failed, or a decision failed halfway: memory may be ahead of
   * the store, so the next request reloads the multi-session from the store.
   */
  volatile boolean broken;
  /**
   * The revision (a random token) the last decision here left, or the store's when none was
   * taken since the load: a shared store refuses a decision taken on a revision another node
   * moved past. Written under {@link #lock}.
   */
  volatile long revision;

  HotMultiSession(MultiSession state) {
    this.state = state;
  }
}
