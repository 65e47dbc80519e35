package io.possync.config;

/**
 * Order synchronization from {@code sync.*}.
 *
 * @param conflicts what a late update of an order gets ({@code sync.conflicts})
 */
public record SyncSettings(SyncConflicts conflicts) {}
