package io.possync.sync;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/** One order as the server keeps it; mutable, guarded by its multi-session's lock. */
final class OrderRecord {
  final String uid;
  /** The last accepted full message ({@code action}, {@code data}, …), unknown keys intact. */
  JsonObject message;
  JsonElement nonce;
  OrderState state;
  long revision;
  long runId;

  OrderRecord(String uid, JsonObject message, JsonElement nonce, OrderState state, long revision,
      long runId) {
    this.uid = uid;
    this.message = message;
    this.nonce = nonce;
    this.state = state;
    this.revision = revision;
    this.runId = runId;
  }
}
