package io.possync.http;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;

/** Reads JSON-RPC {@code params} with clear errors for missing or mistyped values. */
final class Params {
  /** Ids must stay exact in JavaScript. */
  private static final long MAX_SAFE = (1L << 53) - 1;

  private Params() {}

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
    if (e.isJsonPrimitive()) {
      JsonPrimitive p = e.getAsJsonPrimitive();
      if (p.isNumber() || p.isString()) {
        try {
          BigDecimal d = new BigDecimal(p.getAsString().strip());
          if (d.stripTrailingZeros().scale() <= 0 && d.abs().compareTo(BigDecimal.valueOf(MAX_SAFE)) <= 0) {
            return d.longValueExact();
          }
        } catch (NumberFormatException | ArithmeticException notAnInteger) {
          // reported below
        }
      }
    }
    throw new RpcException(RpcError.invalidParams(
        "parameter '" + key + "' must be an integer below 2^53"));
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
