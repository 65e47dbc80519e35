package io.possync.outbox;

/**
 * What waits in one database's outbox for Odoo: the paid orders still pending ({@code DELIVER}
 * entries), for the status page's banner.
 *
 * @param oldestCreatedAt clock millis when the oldest of them was paid
 * @param nextAttemptAt   clock millis of the next try: the oldest entry's (the worker sends them
 *                        in order, each after the one before it)
 * @param attempts        most attempts any of them had (0: none tried yet)
 * @param lastError       the newest error among them, or null
 */
public record OutboxWaiting(String dbname, int paidOrders, long oldestCreatedAt,
    long nextAttemptAt, int attempts, String lastError) {}
