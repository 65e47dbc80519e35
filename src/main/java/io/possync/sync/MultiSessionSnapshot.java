package io.possync.sync;

import java.util.List;

/**
 * A multi-session as loaded from the store: counters, its terminals, its orders in order, and the
 * merge bases of its draft orders, oldest first, where the store keeps them (a cluster's does;
 * one node keeps them in memory only).
 */
public record MultiSessionSnapshot(MultiSessionRow multiSession, List<TerminalRow> terminals,
    List<OrderRow> orders, List<OrderBase> bases) {

  /** A snapshot without merge bases. */
  public MultiSessionSnapshot(MultiSessionRow multiSession, List<TerminalRow> terminals,
      List<OrderRow> orders) {
    this(multiSession, terminals, orders, List.of());
  }

  /** The same snapshot with these merge bases. */
  public MultiSessionSnapshot withBases(List<OrderBase> value) {
    return new MultiSessionSnapshot(multiSession, terminals, orders, value);
  }
}
