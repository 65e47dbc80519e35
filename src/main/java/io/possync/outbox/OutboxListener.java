package io.possync.outbox;

/**
 * What the outbox worker reports to whoever counts (the metrics, bound by the wiring): every call
 * to Odoo that failed, by POS dbname and by what the failure means. Called on the worker's thread.
 */
public interface OutboxListener {
  /** Reports nothing. */
  OutboxListener NONE = new OutboxListener() { };

  /**
   * A delivery, look-up or login for {@code dbname} failed.
   *
   * @param kind what the failure means for delivery, as the Odoo client classifies it, in lower
   *             case ({@code unreachable}, {@code ambiguous}, {@code authentication}...): the
   *             outbox package knows no Odoo types
   */
  default void deliveryFailed(String dbname, String kind) { }
}
