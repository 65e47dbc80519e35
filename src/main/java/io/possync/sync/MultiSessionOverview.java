package io.possync.sync;

import java.util.List;

/**
 * A consistent snapshot of one multi-session with its terminals, taken under its lock.
 *
 * @param terminals the terminals registered here, in registration order
 */
public record MultiSessionOverview(MultiSessionKey key, MultiSessionStatus status,
    List<TerminalStatus> terminals) {}
