package io.possync.sync;

/**
 * A consistent snapshot of one multi-session.
 *
 * @param runId     current run
 * @param orderId   last sequence number handed out in this run
 * @param orders    orders kept, tombstones included
 * @param drafts    orders in state draft
 * @param terminals terminals registered here
 */
public record MultiSessionStatus(long runId, long orderId, int orders, long drafts, int terminals) {}
