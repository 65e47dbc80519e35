package io.possync.sync;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** One order as the server keeps it; mutable, guarded by its multi-session's lock. */
final class OrderRecord {
  final String uid;
  /** The last accepted full message ({@code action}, {@code data}, …), unknown keys intact. */
  JsonObject message;
  JsonElement nonce;
  OrderState state;
  long revision;
  long runId;
  /** Length of the message's JSON text when last written (the cache weighs by it). */
  long bytes;

  OrderRecord(String uid, JsonObject message, JsonElement nonce, OrderState state, long revision,
      long runId) {
    this.uid = uid;
    this.message = message;
    this.nonce = nonce;
    this.state = state;
    this.revision = revision;
    this.runId = runId;
  }

  OrderRow toRow(MultiSessionKey ms) {
    return new OrderRow(new OrderKey(ms, uid), Json.write(message),
        nonce == null || nonce.isJsonNull() ? null : Json.write(nonce), state, revision, runId);
  }

  static OrderRecord fromRow(OrderRow row) {
    OrderRecord o = new OrderRecord(row.key().uid(),
        JsonParser.parseString(row.message()).getAsJsonObject(),
        row.nonceJson() == null ? null : JsonParser.parseString(row.nonceJson()),
        row.state(), row.revision(), row.runId());
    o.bytes = row.message().length();
    return o;
  }
}
