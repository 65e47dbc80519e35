package io.possync.sync;

/**
 * A POS config registered by its {@code sync_all}: its per-terminal {@code message_ID} counter and
 * the Odoo user who last asked. Mutable; guarded by the lock of its home multi-session.
 */
final class Terminal {
  final TerminalKey key;
  volatile MultiSessionKey home;
  /** Last {@code message_ID} sent on this terminal's channel; the reference starts at 1. */
  long messageId = 1;
  long userId;
  /**
   * When a non-immediate sync_all was last published for this POS, to which device (session and
   * login), and the orders it listed; memory only.
   */
  long syncAllAt;
  String syncAllDevice;
  java.util.Set<String> syncAllUids = java.util.Set.of();

  Terminal(TerminalKey key, MultiSessionKey home, long userId) {
    this.key = key;
    this.home = home;
    this.userId = userId;
  }

  TerminalRow toRow() {
    return new TerminalRow(key, home.multiSessionId(), messageId, userId);
  }

  static Terminal fromRow(TerminalRow row) {
    Terminal t = new Terminal(row.key(), new MultiSessionKey(row.key().dbname(),
        row.multiSessionId()), row.userId());
    t.messageId = row.messageId();
    return t;
  }
}
