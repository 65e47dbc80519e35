package io.possync.terminal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** An order as the POS holds it; mutable, guarded by its terminal's lock. */
final class LocalOrder {
  /** A send waiting for the POS's {@code setTimeout(0)} debounce (per order, §5.13). */
  enum Pending { NONE, UPDATE, REMOVE }

  final String uid;
  long sequenceNumber;
  long revision = 1;
  long runId;
  /** {@code order_on_server}: null while never synced (the key is then left out of the JSON). */
  Boolean onServer;
  boolean newOrder = true;
  boolean finalized;
  /** The POS's {@code enquied}: an update or a removal of this order waits in the queue. */
  boolean enqueued;
  Pending pending = Pending.NONE;
  boolean debounceScheduled;
  final long posSessionId;
  final String creationDate;
  JsonElement msInfo;
  final List<LocalLine> lines = new ArrayList<>();

  LocalOrder(String uid, long sequenceNumber, long runId, long posSessionId, String creationDate,
      JsonElement msInfo) {
    this.uid = uid;
    this.sequenceNumber = sequenceNumber;
    this.runId = runId;
    this.posSessionId = posSessionId;
    this.creationDate = creationDate;
    this.msInfo = msInfo;
  }

  LocalLine line(String lineUid) {
    for (LocalLine l : lines) {
      if (l.uid.equals(lineUid)) {
        return l;
      }
    }
    return null;
  }

  /** {@code set_orderlines_offline}: despite its name it marks every line confirmed. */
  void confirmLines() {
    for (LocalLine l : lines) {
      l.offline = false;
    }
  }

  /**
   * {@code Order.export_as_JSON} of Odoo 12 plus pos_multi_session's keys (docs/protocol.md §5.2).
   * {@code userId} is the local cashier: Odoo exports who is at this till, not the creator.
   */
  JsonObject export(long userId) {
    JsonObject d = new JsonObject();
    d.addProperty("name", "Order " + uid);
    d.addProperty("amount_paid", 0);
    BigDecimal total = BigDecimal.ZERO;
    JsonArray ls = new JsonArray();
    for (LocalLine l : lines) {
      total = total.add(l.total());
      JsonArray entry = new JsonArray();
      entry.add(0);
      entry.add(0);
      entry.add(l.export());
      ls.add(entry);
    }
    d.add("amount_total", LocalLine.json(total));
    d.addProperty("amount_tax", 0);
    d.addProperty("amount_return", 0);
    d.add("lines", ls);
    d.add("statement_ids", new JsonArray());
    d.addProperty("pos_session_id", posSessionId);
    d.addProperty("pricelist_id", 1);
    d.addProperty("partner_id", false);
    d.addProperty("user_id", userId);
    d.addProperty("uid", uid);
    d.addProperty("sequence_number", sequenceNumber);
    d.addProperty("creation_date", creationDate);
    d.addProperty("fiscal_position_id", false);
    if (msInfo != null) {
      d.add("ms_info", msInfo.deepCopy());
    }
    d.addProperty("revision_ID", revision);
    d.addProperty("new_order", newOrder);
    if (onServer != null) {
      d.addProperty("order_on_server", onServer); // JSON.stringify drops undefined (§2.1)
    }
    d.addProperty("run_ID", runId);
    return d;
  }

  OrderView view() {
    List<OrderView.Line> out = new ArrayList<>(lines.size());
    for (LocalLine l : lines) {
      out.add(l.view());
    }
    return new OrderView(uid, sequenceNumber, revision, runId, Boolean.TRUE.equals(onServer), out);
  }
}
