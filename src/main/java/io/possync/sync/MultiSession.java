package io.possync.sync;

import io.possync.outbox.OutboxEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * State of one multi-session. Not thread-safe: its owner (the pipeline) serializes every decision
 * on it, so all decisions for one multi-session happen in one total order (decision D3) and
 * different ones never wait for each other. Terminals it registered are guarded the same way.
 */
public final class MultiSession {
  /** Rough heap cost of a parsed order relative to its JSON text, for the cache's weigher. */
  private static final int TREE_OVERHEAD = 6;

  final MultiSessionKey key;
  /** Current run; 0 until the first message (docs/protocol.md §6 item 11). */
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

  /** A multi-session that never existed: its row is written with its first outcome. */
  public static MultiSession fresh(MultiSessionKey key, long now) {
    MultiSession ms = new MultiSession(key, now);
    ms.counterChanged();
    return ms;
  }

  /** A multi-session as the store kept it; its terminals join {@code terminals}. */
  public static MultiSession restore(MultiSessionSnapshot snapshot, Terminals terminals) {
    MultiSessionRow row = snapshot.multiSession();
    MultiSession ms = new MultiSession(row.key(), row.runStartedAt());
    ms.runId = row.runId();
    ms.orderId = row.orderId();
    for (TerminalRow t : snapshot.terminals()) {
      if (terminals.adopt(t).home.equals(ms.key)) {
        ms.members.add(t.key().posId());
      }
    }
    for (OrderRow o : snapshot.orders()) {
      OrderRecord order = OrderRecord.fromRow(o);
      ms.orders.put(order.uid, order);
      ms.bytes += order.bytes;
    }
    for (OrderBase b : snapshot.bases()) {
      OrderRecord order = ms.orders.get(b.uid());
      if (order != null && order.state == OrderState.DRAFT && b.revision() < order.revision) {
        ms.historyBytes += order.keepBase(b.revision(), b.message());
      }
    }
    return ms;
  }

  public MultiSessionKey key() {
    return key;
  }

  /** Approximate heap this multi-session takes, for a size-bounded cache. */
  public int weight() {
    return (int) Math.min(Integer.MAX_VALUE, 1024 + TREE_OVERHEAD * Math.max(0, bytes)
        + Math.max(0, historyBytes));
  }

  /** When its current run started (clock millis). */
  public long runStartedAt() {
    return runStartedAt;
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
  public void discardChanges() {
    counterChanged = false;
    changedOrders.clear();
    changedTerminals.clear();
    purged.clear();
    outbox.clear();
  }

  /**
   * A higher {@code run_ID} starts a new run: older drafts become unpaid and numbering restarts
   * at 1. The reference resets the counter only when such drafts existed (§7.8); we always do,
   * as the main Odoo server does at the same moment (D8).
   */
  void applyRunRule(Long newRun, long now) {
    if (newRun == null || newRun <= runId) {
      return;
    }
    runId = newRun;
    counterChanged();
    runStartedAt = now;
    orderId = 0;
    for (OrderRecord o : orders.values()) {
      if (o.state == OrderState.DRAFT && o.runId < newRun) {
        o.state = OrderState.UNPAID;
        changed(o);
      }
    }
  }
}
