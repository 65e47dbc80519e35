package io.possync.terminal;

import com.google.gson.JsonObject;

/**
 * A multi-session message as it reached a terminal through the bus.
 *
 * @param notificationId the bus notification id
 * @param action         {@code update_order}, {@code remove_order}, {@code sync_all}, …
 * @param orderUid       {@code data.uid}, or null (sync_all of all orders)
 * @param messageId      {@code data.message_ID}, or null if absent
 * @param nonce          {@code data.nonce} of the request that caused it, or null; lets a load
 *                       generator match a broadcast to the update it sent
 * @param message        the message itself; read-only by convention
 * @param arrivalNanos   {@link System#nanoTime()} when the poll answer reached the terminal
 */
public record ReceivedMessage(long notificationId, String action, String orderUid,
    Long messageId, String nonce, JsonObject message, long arrivalNanos) {}
