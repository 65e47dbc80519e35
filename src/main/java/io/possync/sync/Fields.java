package io.possync.sync;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.wire.Json;
import io.possync.wire.Python;
import java.math.BigInteger;

/** Reads the fields of a multi-session message, refusing malformed ones before anything changes. */
final class Fields {
  private Fields() {}

  /** An integer key the server stores (ids, runs): it must fit in a JavaScript-safe long. */
  static long requireId(JsonElement e, String name) {
    BigInteger v = Python.integer(e).orElseThrow(
        () -> new InvalidMessageException(name + " must be an integer"));
    if (v.bitLength() > 53) {
      throw new InvalidMessageException(name + " is out of range");
    }
    return v.longValue();
  }

  /** An optional id: absent or {@code false} means none (the multi-session's current run, D7). */
  static Long optionalId(JsonObject data, String key) {
    JsonElement raw = Json.get(data, key);
    if (raw == null || (raw.isJsonPrimitive() && raw.getAsJsonPrimitive().isBoolean()
        && !raw.getAsBoolean())) {
      return null;
    }
    return requireId(raw, "message.data." + key);
  }

  static String requireString(JsonObject o, String key, String name) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new InvalidMessageException(name + " must be a string");
    }
    return e.getAsString();
  }

  static JsonObject requireObject(JsonObject o, String key, String name) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonObject()) {
      throw new InvalidMessageException(name + " must be an object");
    }
    return e.getAsJsonObject();
  }

  /**
   * The client's {@code revision_ID} as Python's {@code int()} reads it; absent means 1, the
   * client's own default for orders it never synced.
   */
  static BigInteger clientRevision(JsonObject data) {
    JsonElement raw = Json.get(data, "revision_ID");
    if (raw == null) {
      return BigInteger.ONE;
    }
    return Python.integer(raw).orElseThrow(
        () -> new InvalidMessageException("message.data.revision_ID must be an integer"));
  }
}
