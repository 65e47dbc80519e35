package io.possync.wire;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.Optional;

/**
 * A bus channel as the POS and the reference server spell it: the JSON text of a three-string
 * array {@code ["<db>","<name>","<pos_id>"]} (docs/protocol.md §4.1).
 *
 * @param dbname the Odoo database
 * @param name   {@link #MULTI_SESSION}, {@link #LONGPOLLING}, or anything a client asked for
 * @param target the third part; a POS config id on the channels PosSync publishes
 */
public record Channel(String dbname, String name, String target) {
  /** Channel carrying multi-session messages for one POS config. */
  public static final String MULTI_SESSION = "pos.multi_session";
  /** Channel carrying PONGs for one POS config. */
  public static final String LONGPOLLING = "pos.longpolling";

  /** The multi-session channel of POS config {@code posId}. */
  public static Channel multiSession(String dbname, long posId) {
    return new Channel(dbname, MULTI_SESSION, Long.toString(posId));
  }

  /** The longpolling (PONG) channel of POS config {@code posId}. */
  public static Channel longpolling(String dbname, long posId) {
    return new Channel(dbname, LONGPOLLING, Long.toString(posId));
  }

  /**
   * Channel strings seen lately, parsed: every poll names its channels again, and parsing them
   * each time was a quarter of what a poll allocated. Bounded; terminals ask for a few each.
   */
  private static final Cache<String, Optional<Channel>> PARSED =
      Caffeine.newBuilder().maximumSize(20_000).build();
  /** Canonical texts of the channels in {@link #PARSED}. */
  private static final Cache<String, String> CANONICAL =
      Caffeine.newBuilder().maximumSize(20_000).build();

  /** The channel a string names, if it is a three-string array. */
  public static Optional<Channel> parse(String text) {
    return PARSED.get(text, Channel::parseText);
  }

  private static Optional<Channel> parseText(String text) {
    try {
      JsonElement e = JsonParser.parseString(text);
      if (!e.isJsonArray() || e.getAsJsonArray().size() != 3) {
        return Optional.empty();
      }
      String[] parts = new String[3];
      for (int i = 0; i < 3; i++) {
        JsonElement part = e.getAsJsonArray().get(i);
        if (!part.isJsonPrimitive() || !((JsonPrimitive) part).isString()) {
          return Optional.empty();
        }
        parts[i] = part.getAsString();
      }
      return Optional.of(new Channel(parts[0], parts[1], parts[2]));
    } catch (RuntimeException notJson) {
      return Optional.empty();
    }
  }

  /**
   * Canonical form of a channel string a poller sent, so that {@code ["db", "x", "1"]} with spaces
   * or escapes routes like the compact form; strings that are not a three-string array are kept
   * as they are (they simply match nothing PosSync publishes).
   */
  public static String canonical(String requested) {
    return CANONICAL.get(requested, r -> parse(r).map(Channel::text).orElse(r));
  }

  /** The POS config id, on a terminal's channel ({@link #MULTI_SESSION} or {@link #LONGPOLLING}). */
  public Optional<Long> posId() {
    if (!name.equals(MULTI_SESSION) && !name.equals(LONGPOLLING)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(target));
    } catch (NumberFormatException notAPosId) {
      return Optional.empty();
    }
  }

  /** The canonical text, byte-equal to what the client builds. */
  public String text() {
    JsonArray a = new JsonArray(3);
    a.add(dbname);
    a.add(name);
    a.add(target);
    return Json.write(a);
  }
}
