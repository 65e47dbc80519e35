package io.possync.outbox;

import java.util.Locale;

/** Where an outbox entry stands. */
public enum OutboxState {
  /** Waiting for (another) attempt. */
  PENDING,
  /** Odoo has the order (created by us, or found there). */
  DONE,
  /** Odoo refused it, or a different order holds its name: an operator must look (dead letter). */
  DEAD,
  /** Reconciliation: Odoo has no order of that name although the terminal finalized it. */
  MISSING,
  /** An operator dropped it. */
  DROPPED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static OutboxState of(String wire) {
    return valueOf(wire.toUpperCase(Locale.ROOT));
  }
}
