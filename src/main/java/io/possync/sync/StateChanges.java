package io.possync.sync;

import io.possync.outbox.OutboxEntry;
import java.util.List;

/**
 * The rows one decision changed, as full snapshots (a later snapshot of the same row supersedes an
 * earlier one), for the store to make durable in the same commit as the notifications.
 *
 * @param multiSession the multi-session row, or null if unchanged
 * @param terminals    terminal rows that changed
 * @param orders       order rows written
 * @param purged       orders removed for good (retention, decision D4)
 * @param outbox       new work for the Odoo write-back
 */
public record StateChanges(MultiSessionRow multiSession, List<TerminalRow> terminals,
    List<OrderRow> orders, List<OrderKey> purged, List<OutboxEntry> outbox) {

  public static final StateChanges NONE =
      new StateChanges(null, List.of(), List.of(), List.of(), List.of());

  public boolean isEmpty() {
    return multiSession == null && terminals.isEmpty() && orders.isEmpty() && purged.isEmpty()
        && outbox.isEmpty();
  }
}
