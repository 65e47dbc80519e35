package io.possync.sync;

import io.possync.outbox.OutboxEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
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
  /** Approximate heap held by the orders, for the cache's weight bound. */
  long bytes;
  /** JSON text held as merge bases by the orders (OrderRecord's history). */
  long historyBytes;
  /** Outcomes handed to the sink and not yet committed; guarded by the service's pin map. */
  int pins;
  /** Set when a commit of this object's changes failed: it must be reloaded from the store. */
  volatile boolean broken;

  // What the decision in progress changed; drained into its Outcome.
  private boolean counterChanged;
  private final Set<OrderRecord> changedOrders = new LinkedHashSet<>();
  private final Set<Terminal> changedTerminals = new LinkedHashSet<>();
  private final List<OrderKey> purged = new ArrayList<>();
  private final List<OutboxEntry> outbox = new ArrayList<>();

  MultiSession(MultiSessionKey key, long now) {
    this.key = key;
    this.runStartedAt = now;
  }

  void counterChanged() {
    counterChanged = true;
  }

  void changed(OrderRecord order) {
    changedOrders.add(order);
  }

  void changed(Terminal terminal) {
    changedTerminals.add(terminal);
  }

  void queue(OutboxEntry entry) {
    outbox.add(entry);
  }

  void purged(OrderRecord order) {
    purged.add(new OrderKey(key, order.uid));
    bytes -= order.bytes;
    historyBytes += order.forgetHistory();
  }

  /** The rows changed since the last call, as snapshots; resets the change set. */
  StateChanges drainChanges() {
    if (!counterChanged && changedOrders.isEmpty() && changedTerminals.isEmpty()
        && purged.isEmpty() && outbox.isEmpty()) {
      return StateChanges.NONE;
    }
    MultiSessionRow row = counterChanged
        ? new MultiSessionRow(key, runId, orderId, runStartedAt) : null;
    List<OrderRow> orderRows = new ArrayList<>(changedOrders.size());
    for (OrderRecord o : changedOrders) {
      OrderRow r = o.toRow(key);
      bytes += r.message().length() - o.bytes;
      o.bytes = r.message().length();
      o.text = r.message();
      orderRows.add(r);
    }
    List<TerminalRow> terminalRows = new ArrayList<>(changedTerminals.size());
    for (Terminal t : changedTerminals) {
      terminalRows.add(t.toRow());
    }
    StateChanges changes = new StateChanges(row, terminalRows, orderRows, List.copyOf(purged),
        List.copyOf(outbox));
    discardChanges();
    return changes;
  }

  /** Forgets a half-made change set (the decision failed before producing an outcome). */
  void discardChanges() {
    counterChanged = false;
    changedOrders.clear();
    changedTerminals.clear();
    purged.clear();
    outbox.clear();
  }
}
