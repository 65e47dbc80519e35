package io.possync.bus;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

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
    JsonArray a = new JsonArray(3);
    a.add(dbname);
    a.add(channelName);
    a.add(Long.toString(posId));
    return a.toString();
  }

  /**
   * Canonical form of a channel string a poller sent, so that {@code ["db", "x", "1"]} with spaces
   * or escapes routes like the compact form; strings that are not a three-string array are kept
   * as they are (they simply match nothing we publish).
   */
  public static String canonical(String requested) {
    try {
      JsonElement e = JsonParser.parseString(requested);
      if (e.isJsonArray() && e.getAsJsonArray().size() == 3) {
        JsonArray in = e.getAsJsonArray();
        JsonArray out = new JsonArray(3);
        for (JsonElement part : in) {
          if (!part.isJsonPrimitive() || !((JsonPrimitive) part).isString()) {
            return requested;
          }
          out.add(part.getAsString());
        }
        return out.toString();
      }
    } catch (RuntimeException notJson) {
      // fall through: an opaque name
    }
    return requested;
  }
}
