package io.possync.wire;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

/**
 * JSON values read the way the reference server's Python reads them: {@code int(x)}, truthiness
 * and {@code ==}. The one place integers are parsed from client JSON.
 */
public final class Python {
  /** Most digits an integer may have, as a number or as a string. */
  private static final int MAX_DIGITS = 100;

  private Python() {}

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
      return decimal(p.getAsString()).map(d -> d.signum() != 0).orElse(true);
    }
    return !p.getAsString().isEmpty();
  }

  /**
   * Python's {@code int(x)} for JSON values: integral part of a number, a decimal integer string,
   * 1/0 for booleans; empty for anything else, and for integers of more than 100 digits (a number
   * such as {@code 1e999999999} would otherwise make the server compute a 415 MB integer).
   */
  public static Optional<BigInteger> integer(JsonElement e) {
    if (e == null || !e.isJsonPrimitive()) {
      return Optional.empty();
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return Optional.of(p.getAsBoolean() ? BigInteger.ONE : BigInteger.ZERO);
    }
    if (p.isNumber()) {
      return decimal(p.getAsString()).flatMap(d -> {
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

  /**
   * A JSON-RPC parameter that must be a whole number: a number or a numeric string whose value
   * is integral ({@code 7}, {@code "7"}, {@code 7.0}), never a fraction or a boolean, and no
   * larger than a JavaScript-safe integer. Stricter than {@link #integer}: a parameter naming a
   * database row is never silently truncated.
   */
  public static Optional<Long> wholeNumber(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || e.getAsJsonPrimitive().isBoolean()) {
      return Optional.empty();
    }
    return decimal(e.getAsString().strip())
        .filter(d -> d.stripTrailingZeros().scale() <= 0)
        .filter(d -> d.abs().compareTo(BigDecimal.valueOf(Ids.MAX_SAFE)) <= 0)
        .map(BigDecimal::longValueExact);
  }

  /** Python's {@code ==} on JSON values: numbers by value (1 == 1.0), containers deeply. */
  public static boolean equal(JsonElement a, JsonElement b) {
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
        Optional<BigDecimal> da = decimal(pa.getAsString());
        Optional<BigDecimal> db = decimal(pb.getAsString());
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
        if (!equal(xa.get(i), xb.get(i))) {
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
        if (!equal(m.getValue(), ob.get(m.getKey()))) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  private static Optional<BigDecimal> decimal(String text) {
    try {
      return Optional.of(new BigDecimal(text));
    } catch (NumberFormatException | ArithmeticException notFinite) {
      return Optional.empty();
    }
  }
}
