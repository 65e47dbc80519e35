package io.possync.sync;

import java.util.List;

/**
 * A multi-session as loaded from the store: counters, its terminals and its orders in order, and
 * (from a cluster's store) earlier versions of its draft orders, oldest first.
 */
public record MultiSessionSnapshot(MultiSessionRow multiSession, List<TerminalRow> terminals,
    List<OrderRow> orders, List<OrderVersionRow> versions) {

  /** A snapshot without earlier versions (a node's own store keeps them in memory only). */
  public MultiSessionSnapshot(MultiSessionRow multiSession, List<TerminalRow> terminals,
      List<OrderRow> orders) {
    this(multiSession, terminals, orders, List.of());
  }
}
