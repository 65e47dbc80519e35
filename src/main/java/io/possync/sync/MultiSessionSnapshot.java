package io.possync.sync;

import java.util.List;

/** A multi-session as loaded from the store: counters, its terminals and its orders in order. */
public record MultiSessionSnapshot(MultiSessionRow multiSession, List<TerminalRow> terminals,
    List<OrderRow> orders) {}
