package io.possync.outbox;

/** Which databases have the Odoo write-back, so decisions know when to queue outbox work. */
public interface OutboxPolicy {
  /** Paid-offline orders of this POS dbname are delivered to a configured Odoo. */
  boolean delivers(String dbname);

  /** Orders finalized online in this POS dbname are checked against Odoo later. */
  boolean reconciles(String dbname);

  /** No write-back anywhere. */
  OutboxPolicy NONE = new OutboxPolicy() {
    @Override
    public boolean delivers(String dbname) {
      return false;
    }

    @Override
    public boolean reconciles(String dbname) {
      return false;
    }
  };
}
