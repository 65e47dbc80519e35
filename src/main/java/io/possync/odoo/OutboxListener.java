package io.possync.odoo;

/**
 * What the outbox worker reports to whoever counts (the metrics, bound by the wiring): every call
 * to Odoo that failed, by POS dbname and by what the failure means. Called on the worker thread.
 */
public interface OutboxListener {
  /** Reports nothing. */
  OutboxListener NONE = new OutboxListener() { };

  /** A delivery, look-up or login for {@code dbname} failed with a failure of this kind. */
  default void deliveryFailed(String dbname, OdooFailure.Kind kind) { }
}
