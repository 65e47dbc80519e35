package io.possync.e2e;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Compares two parsed JSON trees and lists every difference with its path, so that a failing
 * step says {@code $.result[0].message.data.message_ID: expected 11, got 12} rather than showing
 * two walls of JSON. Numbers compare by value ({@code 7 == 7.0}, as Python's {@code ==} does and
 * docs/protocol.md §5.11 asks); key order never matters.
 */
final class JsonDiff {
  private JsonDiff() {}

  /** Every difference, empty when the trees are equal. */
  static List<String> between(JsonElement expected, JsonElement actual) {
    List<String> out = new ArrayList<>();
    walk("$", orNull(expected), orNull(actual), out);
    return out;
  }

  private static void walk(String path, JsonElement e, JsonElement a, List<String> out) {
    if (e.isJsonObject() && a.isJsonObject()) {
      JsonObject eo = e.getAsJsonObject();
      JsonObject ao = a.getAsJsonObject();
      TreeSet<String> keys = new TreeSet<>(eo.keySet());
      keys.addAll(ao.keySet());
      for (String k : keys) {
        String p = path + "." + k;
        if (!ao.has(k)) {
          out.add(p + ": missing (expected " + eo.get(k) + ")");
        } else if (!eo.has(k)) {
          out.add(p + ": unexpected (got " + ao.get(k) + ")");
        } else {
          walk(p, orNull(eo.get(k)), orNull(ao.get(k)), out);
        }
      }
    } else if (e.isJsonArray() && a.isJsonArray()) {
      JsonArray ea = e.getAsJsonArray();
      JsonArray aa = a.getAsJsonArray();
      if (ea.size() != aa.size()) {
        out.add(path + ": expected " + ea.size() + " elements, got " + aa.size()
            + "\n    expected " + ea + "\n    got      " + aa);
        return;
      }
      for (int i = 0; i < ea.size(); i++) {
        walk(path + "[" + i + "]", orNull(ea.get(i)), orNull(aa.get(i)), out);
      }
    } else if (!sameScalar(e, a)) {
      out.add(path + ": expected " + e + ", got " + a);
    }
  }

  private static boolean sameScalar(JsonElement e, JsonElement a) {
    if (e.isJsonPrimitive() && a.isJsonPrimitive()) {
      JsonPrimitive pe = e.getAsJsonPrimitive();
      JsonPrimitive pa = a.getAsJsonPrimitive();
      if (pe.isNumber() && pa.isNumber()) {
        return new BigDecimal(pe.getAsString()).compareTo(new BigDecimal(pa.getAsString())) == 0;
      }
      // A number never equals a string, a boolean never equals 1: compare kind and text.
      return pe.isNumber() == pa.isNumber() && pe.isBoolean() == pa.isBoolean()
          && pe.isString() == pa.isString() && pe.getAsString().equals(pa.getAsString());
    }
    return e.isJsonNull() && a.isJsonNull();
  }

  private static JsonElement orNull(JsonElement e) {
    return e == null ? JsonNull.INSTANCE : e;
  }
}
