package io.possync.sync;

/**
 * Durable form of an order.
 *
 * @param message   the stored message as JSON text, unknown fields intact
 * @param nonceJson the nonce of the last accepted update as JSON text, or null if it had none
 */
public record OrderRow(OrderKey key, String message, String nonceJson, OrderState state,
    long revision, long runId) {}
