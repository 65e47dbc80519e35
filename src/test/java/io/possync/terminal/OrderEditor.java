package io.possync.terminal;

import java.math.BigDecimal;
import java.util.List;

/**
 * What a cashier can do to one order on a virtual terminal. Valid only inside
 * {@link VirtualTerminal#edit}; all changes made there go out as one update, as with several
 * clicks inside one browser task.
 */
public interface OrderEditor {
  /** The order's uid. */
  String uid();

  /**
   * Adds one unit of a product. Like Odoo, it raises the quantity of the last line instead when
   * that line has the same product and price. Returns the uid of the line that changed.
   */
  String addProduct(long productId, BigDecimal price);

  /** Shorthand for {@link #addProduct(long, BigDecimal)}. */
  default String addProduct(long productId, double price) {
    return addProduct(productId, BigDecimal.valueOf(price));
  }

  /** Sets a line's quantity. */
  void setQuantity(String lineUid, BigDecimal qty);

  /** Removes a line. */
  void removeLine(String lineUid);

  /** The current lines. */
  List<OrderView.Line> lines();
}
