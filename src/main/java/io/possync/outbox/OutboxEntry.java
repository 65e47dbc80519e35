package io.possync.outbox;

/**
 * Work for the Odoo write-back, written in the same commit as the decision that caused it.
 *
 * @param uid          the order's uid; with {@code dbname} and {@code kind} it is the entry's key,
 *                     so a repeated remove_order never queues an order twice
 * @param posReference the order's name ({@code "Order 00005-001-0001"}), Odoo's dedup key
 * @param payload      for {@link Kind#DELIVER}: the paid-order wrapper exactly as the terminal sent
 *                     it in {@code order_data}; null for {@link Kind#RECONCILE}
 */
public record OutboxEntry(String dbname, String uid, Kind kind, String posReference,
    String payload) {

  /** What to do with the order. */
  public enum Kind {
    /** Create it in Odoo ({@code create_from_ui}): it was paid while Odoo was out of reach. */
    DELIVER,
    /** Check later that Odoo has it: it was paid online and the terminal pushed it itself. */
    RECONCILE
  }
}
