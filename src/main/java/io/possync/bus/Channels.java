package io.possync.bus;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Channel names as the POS and the reference server spell them: the JSON text of a three-string
 * array {@code ["<db>","<channel>","<pos_id>"]} (PROTOCOL.md §4.1).
 */
public final class Channels {
  /** Channel carrying multi-session messages for one POS config. */
  public static final String MULTI_SESSION = "pos.multi_session";
  /** Channel carrying PONGs for one POS config. */
  public static final String LONGPOLLING = "pos.longpolling";

  private Channels() {}

  /** The canonical channel string the server publishes on, byte-equal to what the client builds. */
  public static String of(String dbname, String channelName, long posId) {
    return text(List.of(dbname, channelName, Long.toString(posId)));
  }

  /**
   * Canonical form of a channel string a poller sent, so that {@code ["db", "x", "1"]} with spaces
   * or escapes routes like the compact form; strings that are not a three-string array are kept
   * as they are (they simply match nothing we publish).
   */
  public static String canonical(String requested) {
    return parse(requested).map(Channels::text).orElse(requested);
  }

  /** The three parts of a channel string, if it is a three-string array. */
  public static Optional<List<String>> parse(String channel) {
    try {
      JsonElement e = JsonParser.parseString(channel);
      if (e.isJsonArray() && e.getAsJsonArray().size() == 3) {
        List<String> parts = new ArrayList<>(3);
        for (JsonElement part : e.getAsJsonArray()) {
          if (!part.isJsonPrimitive() || !((JsonPrimitive) part).isString()) {
            return Optional.empty();
          }
          parts.add(part.getAsString());
        }
        return Optional.of(parts);
      }
    } catch (RuntimeException notJson) {
      // not a channel of ours
    }
    return Optional.empty();
  }

  private static String text(List<String> parts) {
    JsonArray a = new JsonArray(3);
    parts.forEach(a::add);
    return a.toString();
  }
}
