package io.possync.outbox;

/**
 * A database whose outbox is paused because Odoo refused the credentials: PosSync does not retry
 * by itself (Odoo locks an address out after five failures).
 *
 * @param credentials a fingerprint of the connection settings that failed; when the operator
 *                    changes them, the pause is lifted at the next start
 */
public record OutboxPause(String dbname, String reason, String credentials, long since) {}
