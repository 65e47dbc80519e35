package io.possync.http;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.wire.Python;

/** Reads JSON-RPC {@code params} with clear errors for missing or mistyped values. */
final class Params {
  private Params() {}

  /** Longest database name PostgreSQL allows (NAMEDATALEN - 1), in UTF-8 bytes. */
  static final int MAX_DBNAME_BYTES = 63;

  /**
   * A database name: a string of 1 to 63 UTF-8 bytes, as PostgreSQL (so Odoo) allows. Anything
   * longer names no database, and would only make the server keep large keys.
   */
  static String dbname(JsonObject params, String key) {
    String db = string(params, key);
    int bytes = db.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > MAX_DBNAME_BYTES) {
      throw new RpcException(RpcError.invalidParams("parameter '" + key
          + "' must be a database name of 1 to " + MAX_DBNAME_BYTES + " bytes"));
    }
    return db;
  }

  static String string(JsonObject params, String key) {
    JsonElement e = params.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new RpcException(RpcError.invalidParams(
          e == null ? "missing parameter '" + key + "'" : "parameter '" + key + "' must be a string"));
    }
    return e.getAsString();
  }

  /** An integer, also when sent as a decimal string (the reference calls Python's int()). */
  static long integer(JsonObject params, String key) {
    JsonElement e = params.get(key);
    if (e == null) {
      throw new RpcException(RpcError.invalidParams("missing parameter '" + key + "'"));
    }
    return Python.wholeNumber(e).orElseThrow(() -> new RpcException(RpcError.invalidParams(
        "parameter '" + key + "' must be an integer below 2^53")));
  }

  static JsonObject object(JsonObject params, String key) {
    JsonElement e = params.get(key);
    if (e == null || !e.isJsonObject()) {
      throw new RpcException(RpcError.invalidParams(
          e == null ? "missing parameter '" + key + "'" : "parameter '" + key + "' must be an object"));
    }
    return e.getAsJsonObject();
  }
}
