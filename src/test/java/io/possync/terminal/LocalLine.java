package io.possync.terminal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;

/** An order line as the POS holds it; mutable, guarded by its terminal's lock. */
final class LocalLine {
  /** Odoo's page-wide line counter value; part of the line uid and exported as {@code id}. */
  final long id;
  String uid;
  final long productId;
  BigDecimal qty;
  BigDecimal priceUnit;
  BigDecimal discount = BigDecimal.ZERO;
  JsonElement msInfo;
  /** {@code offline_orderline}: added after loading and not yet confirmed by the server. */
  boolean offline;

  LocalLine(long id, String uid, long productId, BigDecimal qty, BigDecimal priceUnit) {
    this.id = id;
    this.uid = uid;
    this.productId = productId;
    this.qty = norm(qty);
    this.priceUnit = norm(priceUnit);
  }

  /**
   * {@code apply_ms_data} of a line: takes ms_info and, where they differ, quantity, price and
   * discount (§5.11).
   */
  void apply(JsonObject d) {
    JsonElement info = d.get("ms_info");
    msInfo = info == null || info.isJsonNull() ? new JsonObject() : info.deepCopy();
    BigDecimal v = decimal(d.get("qty"));
    if (v != null && v.compareTo(qty) != 0) {
      qty = v;
    }
    v = decimal(d.get("price_unit"));
    if (v != null && v.compareTo(priceUnit) != 0) {
      priceUnit = v;
    }
    v = decimal(d.get("discount"));
    if (v != null && v.compareTo(discount) != 0) {
      discount = v;
    }
  }

  /** {@code Orderline.export_as_JSON} plus pos_multi_session's {@code uid} and {@code ms_info}. */
  JsonObject export() {
    JsonObject o = new JsonObject();
    o.add("qty", json(qty));
    o.add("price_unit", json(priceUnit));
    o.add("discount", json(discount));
    o.addProperty("product_id", productId);
    JsonArray taxes = new JsonArray();
    JsonArray none = new JsonArray();
    none.add(6);
    none.add(false);
    none.add(new JsonArray());
    taxes.add(none);
    o.add("tax_ids", taxes);
    o.addProperty("id", id);
    o.add("pack_lot_ids", new JsonArray());
    o.addProperty("uid", uid);
    if (msInfo != null) {
      o.add("ms_info", msInfo.deepCopy());
    }
    return o;
  }

  BigDecimal total() {
    return qty.multiply(priceUnit).multiply(
        BigDecimal.ONE.subtract(discount.movePointLeft(2)));
  }

  OrderView.Line view() {
    return new OrderView.Line(uid, productId, qty, priceUnit, discount, offline);
  }

  /** Numbers compared by value: 1, 1.0 and 1.00 are one quantity (JavaScript has one number). */
  static BigDecimal norm(BigDecimal v) {
    BigDecimal s = v.stripTrailingZeros();
    return s.scale() < 0 ? s.setScale(0) : s;
  }

  /** A JSON number as the browser would write it: integers without a fraction. */
  static JsonPrimitive json(BigDecimal v) {
    BigDecimal n = norm(v);
    return n.scale() == 0 && n.unscaledValue().bitLength() < 63 ? new JsonPrimitive(n.longValueExact())
        : new JsonPrimitive(n);
  }

  static BigDecimal decimal(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return null;
    }
    return norm(e.getAsBigDecimal());
  }
}
