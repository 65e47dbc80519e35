package io.possync.e2e;

import java.math.BigDecimal;

/** Products of the demo catalogue the scenarios put on orders (ids and prices as in Odoo's data). */
enum Product {
  LED_LAMP(50, "4.8"),
  DESK_PAD(51, "1.98"),
  WHITEBOARD_PEN(52, "1.2"),
  MAGNETIC_BOARD(53, "1.98"),
  LARGE_CABINET(54, "320"),
  OFFICE_CHAIR(55, "70"),
  DESK_ORGANIZER(56, "5.1"),
  FLIPOVER(57, "1950");

  final long id;
  final BigDecimal price;

  Product(long id, String price) {
    this.id = id;
    this.price = new BigDecimal(price);
  }
}
