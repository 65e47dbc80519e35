package io.possync.cluster;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.testing.Pos;
import io.possync.testing.PostgresServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The outbox and its lease as the cluster's database has them, read over a JDBC connection of the
 * test's own (a node may be dead, and what counts is what the shared tables say), and as a node's
 * /api/status shows them; and the update by which a terminal hands a paid order to whichever node
 * it talks to.
 */
final class SharedOutbox {
  /** Who delivers a database's outbox, until when (ms since the epoch). */
  record Lease(String node, long expiresAt) {}

  /** A paid order's delivery as the outbox records it. */
  record Entry(String uid, String state, int attempts, Integer odooOrderId) {}

  private final String url;

  SharedOutbox(String url) {
    this.url = url;
  }

  /** The lease on {@code dbname}'s outbox, if a node holds one. */
  Optional<Lease> lease(String dbname) throws SQLException {
    try (Connection c = connect();
        PreparedStatement p = c.prepareStatement(
            "SELECT node, expires_at FROM outbox_leases WHERE dbname = ?")) {
      p.setString(1, dbname);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? Optional.of(new Lease(rs.getString(1), rs.getLong(2)))
            : Optional.empty();
      }
    }
  }

  /** The holder of the lease on {@code dbname}'s outbox, or null. */
  String holder(String dbname) throws SQLException {
    return lease(dbname).map(Lease::node).orElse(null);
  }

  /** The paid orders of {@code dbname} handed to the outbox, oldest first. */
  List<Entry> deliveries(String dbname) throws SQLException {
    try (Connection c = connect();
        PreparedStatement p = c.prepareStatement("SELECT uid, state, attempts, odoo_order_id"
            + " FROM outbox WHERE dbname = ? AND kind = 'DELIVER' ORDER BY id")) {
      p.setString(1, dbname);
      try (ResultSet rs = p.executeQuery()) {
        List<Entry> out = new ArrayList<>();
        while (rs.next()) {
          int id = rs.getInt(4);
          out.add(new Entry(rs.getString(1), rs.getString(2), rs.getInt(3),
              rs.wasNull() ? null : id));
        }
        return out;
      }
    }
  }

  /** The holder of {@code dbname}'s outbox lease as a node's /api/status shows it, or null. */
  static String holderShownBy(URI admin, String dbname) throws Exception {
    for (JsonElement l : cluster(admin).getAsJsonArray("outbox_leases")) {
      if (l.getAsJsonObject().get("dbname").getAsString().equals(dbname)) {
        return l.getAsJsonObject().get("node").getAsString();
      }
    }
    return null;
  }

  /** Each node's state ("up", "down") as a node's /api/status shows it. */
  static Map<String, String> nodesShownBy(URI admin) throws Exception {
    Map<String, String> states = new TreeMap<>();
    for (JsonElement n : cluster(admin).getAsJsonArray("nodes")) {
      states.put(n.getAsJsonObject().get("name").getAsString(),
          n.getAsJsonObject().get("state").getAsString());
    }
    return states;
  }

  private static JsonObject cluster(URI admin) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(admin.resolve("/api/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("cluster");
  }

  private Connection connect() throws SQLException {
    PostgresServer pg = PostgresServer.shared();
    return DriverManager.getConnection(url, pg.user(), pg.password());
  }

  /**
   * The update by which a terminal of multi-session 1 finalizes order {@code uid}, paid offline
   * for {@code total} in POS session 11: it carries the paid order, so it enters the outbox.
   */
  static JsonObject paidOffline(String dbname, String uid, double total) {
    JsonObject data = JsonParser.parseString("""
        {"name":"Order %1$s","amount_paid":%2$s,"amount_total":%2$s,"amount_tax":0,
         "amount_return":0,"lines":[[0,0,{"qty":1,"price_unit":%2$s,"price_subtotal":%2$s,
         "price_subtotal_incl":%2$s,"discount":0,"product_id":31,"tax_ids":[[6,false,[]]],"id":1,
         "pack_lot_ids":[],"uid":"%1$s-1"}]],
         "statement_ids":[[0,0,{"name":"2026-12-01 10:15:00","statement_id":11,"account_id":22,
         "journal_id":6,"amount":%2$s}]],
         "pos_session_id":11,"pricelist_id":1,"partner_id":false,"user_id":1,"uid":"%1$s",
         "sequence_number":1,"creation_date":"2026-12-01T10:15:00.000Z","fiscal_position_id":false,
         "revision_ID":1,"run_ID":1}""".formatted(uid, total)).getAsJsonObject();
    JsonObject paid = new JsonObject();
    paid.addProperty("id", uid);
    paid.add("data", data);
    JsonObject removal = Pos.removeOrder(11, uid, 1, 1, "p" + uid);
    removal.getAsJsonObject("data").addProperty("finalized", true);
    removal.getAsJsonObject("data").addProperty("order_data", paid.toString());
    return Pos.update(dbname, 1, 1, removal);
  }
}
