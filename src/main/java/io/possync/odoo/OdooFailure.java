package io.possync.odoo;

/**
 * A call to Odoo failed. {@link Kind} says what the outbox does about it; the message is safe to
 * log and show (no password, at most Odoo's own text).
 */
public final class OdooFailure extends Exception {

  /** What a failure means for delivery. */
  public enum Kind {
    /** Nothing reached Odoo (connection refused, 502/503 from a proxy): retry with back-off. */
    UNREACHABLE,
    /**
     * Odoo may have committed the call (reply timeout, connection reset, 504): retry, but look the
     * order up by its pos_reference first (docs/odoo-backend.md §2.7, §5 rows 3–4).
     */
    AMBIGUOUS,
    /** Odoo is busy (database loading, serialization failure after its own retries): retry. */
    BUSY,
    /**
     * Wrong login or password, or login cool-down: never retry on its own (Odoo locks the
     * address out after 5 failures); the database's queue pauses until an operator acts.
     */
    AUTHENTICATION,
    /** Odoo refused this order (validation, unknown product or session, access rights). */
    ORDER_REJECTED,
    /**
     * The configuration is wrong (HTML instead of XML-RPC, a redirect, a legacy path, an unknown
     * database, malformed or forbidden XML such as a DOCTYPE): pause, an operator must fix it.
     */
    MISCONFIGURED
  }

  private final Kind kind;
  private final int faultCode;

  /**
   * @param faultCode Odoo's XML-RPC faultCode, or 0 when the failure was not a fault
   */
  public OdooFailure(Kind kind, int faultCode, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.faultCode = faultCode;
  }

  public Kind kind() {
    return kind;
  }

  public int faultCode() {
    return faultCode;
  }
}
