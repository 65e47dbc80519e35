package io.possync.sync;

/** Durable form of a multi-session's counters. */
public record MultiSessionRow(MultiSessionKey key, long runId, long orderId, long runStartedAt) {}
