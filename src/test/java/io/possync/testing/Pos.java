package io.possync.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** Builds the JSON a POS sends, so that tests read like the exchange they check. */
public final class Pos {
  private Pos() {}

  /** Params of {@code /pos_multi_session_sync/update}. */
  public static JsonObject update(String db, long multiSessionId, long userId, JsonObject message) {
    JsonObject p = new JsonObject();
    p.addProperty("multi_session_id", multiSessionId);
    p.add("message", message);
    p.addProperty("dbname", db);
    p.addProperty("user_ID", userId);
    return p;
  }

  /** A sync_all message; {@code immediate} asks for the answer inline. */
  public static JsonObject syncAll(long posId, long runId, boolean immediate) {
    JsonObject m = JsonParser.parseString("{\"action\":\"sync_all\",\"data\":{\"run_ID\":" + runId
        + ",\"pos_id\":" + posId + ",\"nonce\":\"s" + System.nanoTime() + "\"},\"session_id\":"
        + posId + ",\"login_number\":1}").getAsJsonObject();
    if (immediate) {
      m.addProperty("immediate_rerendering", true);
    }
    return m;
  }

  /** An update_order message for an order with one line. */
  public static JsonObject updateOrder(long posId, String uid, long sequence, long revision,
      long runId, String nonce, double qty) {
    JsonObject line = new JsonObject();
    line.addProperty("qty", qty);
    line.addProperty("price_unit", 2.5);
    line.addProperty("product_id", 31);
    line.addProperty("id", 1);
    line.addProperty("uid", uid + "-1");
    JsonArray entry = new JsonArray();
    entry.add(0);
    entry.add(0);
    entry.add(line);
    JsonArray lines = new JsonArray();
    lines.add(entry);
    JsonObject data = new JsonObject();
    data.addProperty("name", "Order " + uid);
    data.add("lines", lines);
    data.addProperty("uid", uid);
    data.addProperty("sequence_number", sequence);
    data.addProperty("revision_ID", revision);
    data.addProperty("run_ID", runId);
    data.addProperty("pos_id", posId);
    data.addProperty("nonce", nonce);
    JsonObject m = new JsonObject();
    m.addProperty("action", "update_order");
    m.add("data", data);
    m.addProperty("session_id", posId);
    m.addProperty("login_number", 1);
    return m;
  }

  /** A remove_order message. */
  public static JsonObject removeOrder(long posId, String uid, long revision, long runId,
      String nonce) {
    return JsonParser.parseString("{\"action\":\"remove_order\",\"data\":{\"uid\":\"" + uid
        + "\",\"revision_ID\":" + revision + ",\"finalized\":false,\"run_ID\":" + runId
        + ",\"pos_id\":" + posId + ",\"nonce\":\"" + nonce + "\"},\"session_id\":" + posId
        + ",\"login_number\":1}").getAsJsonObject();
  }

  /** Params of {@code /longpolling/poll} for one terminal's two channels. */
  public static JsonElement poll(String db, long posId, long last) {
    return JsonParser.parseString("{\"channels\":[\"[\\\"" + db + "\\\",\\\"pos.multi_session\\\",\\\""
        + posId + "\\\"]\",\"[\\\"" + db + "\\\",\\\"pos.longpolling\\\",\\\"" + posId + "\\\"]\"],"
        + "\"last\":" + last + ",\"options\":{}}");
  }
}
