package io.possync.terminal;

import java.math.BigDecimal;
import java.util.List;

/**
 * A snapshot of one order as a virtual terminal holds it.
 *
 * @param uid            the order uid, {@code <session>-<login>-<sequence>} of the creating POS
 * @param sequenceNumber the order number shown on screen (server-assigned once synced)
 * @param revision       {@code revision_ID} as the terminal knows it
 * @param runId          {@code run_ID} the order belongs to
 * @param onServer       {@code order_on_server}: the terminal believes the server has it
 * @param lines          the order lines in display order
 */
public record OrderView(String uid, long sequenceNumber, long revision, long runId,
    boolean onServer, List<Line> lines) {

  public OrderView {
    lines = List.copyOf(lines);
  }

  /**
   * One order line.
   *
   * @param uid     line uid; terminals may differ on it for the same line (see VirtualTerminal)
   * @param offline {@code offline_orderline}: added here and not yet confirmed by the server
   */
  public record Line(String uid, long productId, BigDecimal qty, BigDecimal priceUnit,
      BigDecimal discount, boolean offline) {}

  /** What a cashier sees of a line: the comparison the original external tests make. */
  public record Item(long productId, BigDecimal qty, BigDecimal priceUnit) {}

  /** What a cashier sees of an order: its number and its lines (product, quantity, price). */
  public record Summary(long sequenceNumber, List<Item> items) {}

  /** This order as a cashier sees it, for comparing terminals (line uids may differ). */
  public Summary summary() {
    return new Summary(sequenceNumber,
        lines.stream().map(l -> new Item(l.productId(), l.qty(), l.priceUnit())).toList());
  }

  /** The product ids of the lines, in display order. */
  public List<Long> productIds() {
    return lines.stream().map(Line::productId).toList();
  }
}
