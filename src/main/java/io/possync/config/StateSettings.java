package io.possync.config;

/**
 * The in-memory state from {@code state.*}.
 *
 * @param hotBytes approximate heap that multi-sessions kept in memory may take
 *                 ({@code state.hot_bytes})
 */
public record StateSettings(long hotBytes) {}
