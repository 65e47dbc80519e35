package io.possync.sync;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

/**
 * The few JSON rules the protocol needs, read the way the reference server's Python reads them:
 * {@code int(x)}, truthiness and {@code ==}. Payloads stay Gson trees, so numbers keep their text.
 */
public final class Json {
  private Json() {}

  /**
   * Compact JSON text; nulls inside objects are kept ({@code "uid": null} matters to clients).
   * Lone surrogates are escaped, so the text survives any UTF-8 encoding (see
   * {@link #escapeLoneSurrogates}).
   */
  public static String write(JsonElement e) {
    return escapeLoneSurrogates(e.toString());
  }

  /**
   * A lone surrogate (JSON.stringify sends one escaped, e.g. for an emoji cut in half) has no
   * UTF-8 form: encoders turn it into '?'. In JSON text it can only stand inside a string, where
   * the backslash-u escape means the same character, so it is written that way, as Odoo's
   * ASCII-only JSON does. Text without surrogates is returned as it is.
   */
  public static String escapeLoneSurrogates(String json) {
    int n = json.length();
    int i = 0;
    while (i < n && !Character.isSurrogate(json.charAt(i))) {
      i++;
    }
    if (i == n) {
      return json;
    }
    StringBuilder sb = new StringBuilder(n + 16).append(json, 0, i);
    for (; i < n; i++) {
      char c = json.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(json.charAt(i + 1))) {
        sb.append(c).append(json.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** A member or {@code null} if the object has no such key. */
  static JsonElement get(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? null : e;
  }

  /** Python's truthiness: false, 0, "", [], {} and null are false. */
  public static boolean truthy(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return false;
    }
    if (e.isJsonArray()) {
      return !e.getAsJsonArray().isEmpty();
    }
    if (e.isJsonObject()) {
      return !e.getAsJsonObject().isEmpty();
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return p.getAsBoolean();
    }
    if (p.isNumber()) {
      return decimal(p).map(d -> d.signum() != 0).orElse(true);
    }
    return !p.getAsString().isEmpty();
  }

  /** Most digits an integer may have, as a number or as a string (see {@link #pythonInt}). */
  private static final int MAX_DIGITS = 100;

  /**
   * Python's {@code int(x)} for JSON values: integral part of a number, a decimal integer string,
   * 1/0 for booleans; empty for anything else, and for integers of more than 100 digits (strings
   * were already bounded so; a number such as {@code 1e999999999} would otherwise make the server
   * compute a 415 MB integer, or fail).
   */
  static Optional<BigInteger> pythonInt(JsonElement e) {
    if (e == null || !e.isJsonPrimitive()) {
      return Optional.empty();
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return Optional.of(p.getAsBoolean() ? BigInteger.ONE : BigInteger.ZERO);
    }
    if (p.isNumber()) {
      return decimal(p).flatMap(d -> {
        long integralDigits = (long) d.precision() - d.scale();
        if (d.signum() == 0 || integralDigits <= 0) {
          return Optional.of(BigInteger.ZERO); // |d| < 1, however many zeros the exponent adds
        }
        return integralDigits > MAX_DIGITS ? Optional.empty() : Optional.of(d.toBigInteger());
      });
    }
    String s = p.getAsString().strip().replace("_", "");
    if (!s.matches("[+-]?[0-9]{1," + MAX_DIGITS + "}")) {
      return Optional.empty();
    }
    return Optional.of(new BigInteger(s));
  }

  /** An integer key the server stores (ids, runs): it must fit in a JavaScript-safe long. */
  static long requireId(JsonElement e, String name) {
    BigInteger v = pythonInt(e).orElseThrow(
        () -> new InvalidMessageException(name + " must be an integer"));
    if (v.bitLength() > 53) {
      throw new InvalidMessageException(name + " is out of range");
    }
    return v.longValue();
  }

  /** Python's {@code ==} on JSON values: numbers by value (1 == 1.0), containers deeply. */
  static boolean pyEquals(JsonElement a, JsonElement b) {
    if (a == null || a.isJsonNull()) {
      return b == null || b.isJsonNull();
    }
    if (b == null || b.isJsonNull()) {
      return false;
    }
    if (a.isJsonPrimitive() && b.isJsonPrimitive()) {
      JsonPrimitive pa = a.getAsJsonPrimitive();
      JsonPrimitive pb = b.getAsJsonPrimitive();
      if (pa.isNumber() && pb.isNumber()) {
        Optional<BigDecimal> da = decimal(pa);
        Optional<BigDecimal> db = decimal(pb);
        return da.isPresent() && db.isPresent() ? da.get().compareTo(db.get()) == 0 : pa.equals(pb);
      }
      return pa.equals(pb);
    }
    if (a.isJsonArray() && b.isJsonArray()) {
      JsonArray xa = a.getAsJsonArray();
      JsonArray xb = b.getAsJsonArray();
      if (xa.size() != xb.size()) {
        return false;
      }
      for (int i = 0; i < xa.size(); i++) {
        if (!pyEquals(xa.get(i), xb.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a.isJsonObject() && b.isJsonObject()) {
      JsonObject oa = a.getAsJsonObject();
      JsonObject ob = b.getAsJsonObject();
      if (!oa.keySet().equals(ob.keySet())) {
        return false;
      }
      for (Map.Entry<String, JsonElement> m : oa.entrySet()) {
        if (!pyEquals(m.getValue(), ob.get(m.getKey()))) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  private static Optional<BigDecimal> decimal(JsonPrimitive p) {
    try {
      return Optional.of(new BigDecimal(p.getAsString()));
    } catch (NumberFormatException | ArithmeticException notFinite) {
      return Optional.empty();
    }
  }
}
