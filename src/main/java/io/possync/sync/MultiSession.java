package io.possync.sync;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * State of one multi-session. Every field is guarded by {@link #lock}: all decisions for one
 * multi-session happen in one total order (decision D3), different ones never wait for each other.
 */
final class MultiSession {
  final MultiSessionKey key;
  final ReentrantLock lock = new ReentrantLock();
  /** Current run; 0 until the first message (PROTOCOL.md §6 item 11). */
  long runId;
  /** Last sequence number handed out in this run. */
  long orderId;
  /** Clock millis when {@link #runId} last increased; drives purging of old runs (D4). */
  long runStartedAt;
  final Map<String, OrderRecord> orders = new LinkedHashMap<>();
  /** POS ids registered here, in registration order (the order broadcasts go out in). */
  final Set<Long> members = new LinkedHashSet<>();

  MultiSession(MultiSessionKey key, long now) {
    this.key = key;
    this.runStartedAt = now;
  }
}
