package io.possync.wire;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

/**
 * JSON text as PosSync writes it. Payloads stay Gson trees until written, so numbers keep their
 * text and unknown fields survive.
 */
public final class Json {
  private Json() {}

  /**
   * Compact JSON text; nulls inside objects are kept ({@code "uid": null} matters to clients).
   * Lone surrogates are escaped, so the text survives any UTF-8 encoding (see
   * {@link #escapeLoneSurrogates}). Every text PosSync sends or stores is written here, once.
   */
  public static String write(JsonElement e) {
    return escapeLoneSurrogates(e.toString());
  }

  /** A string as a JSON string literal. */
  public static String quote(String s) {
    return write(new com.google.gson.JsonPrimitive(s));
  }

  /**
   * A lone surrogate (JSON.stringify sends one escaped, e.g. for an emoji cut in half) has no
   * UTF-8 form: encoders turn it into '?'. In JSON text it can only stand inside a string, where
   * the backslash-u escape means the same character, so it is written that way, as Odoo's
   * ASCII-only JSON does. Text without surrogates is returned as it is.
   */
  static String escapeLoneSurrogates(String json) {
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

  /** A member, or {@code null} if the object has no such key or holds JSON null there. */
  public static JsonElement get(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? null : e;
  }

  /** {@code e}, or JSON null for a missing value. */
  public static JsonElement orNull(JsonElement e) {
    return e == null ? JsonNull.INSTANCE : e;
  }
}
