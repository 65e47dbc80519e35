package io.possync.outbox;


/**
 * One outbox entry as stored.
 *
 * @param payload       the paid-order wrapper as the terminal sent it (DELIVER), else null
 * @param nextAttemptAt clock millis before which the entry is not tried again
 * @param lastError     why the last attempt failed, in plain words, or null
 * @param odooOrderId   the pos.order id in Odoo once known, or null
 */
public record OutboxRow(long id, String dbname, String uid, OutboxEntry.Kind kind,
    String posReference, String payload, OutboxState state, int attempts, long nextAttemptAt,
    String lastError, Integer odooOrderId, long createdAt, long updatedAt) {}
