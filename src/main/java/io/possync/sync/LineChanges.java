package io.possync.sync;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.possync.wire.Python;

/**
 * Flags the lines of an update that differ from the stored version with {@code is_changed: true}
 * (docs/protocol.md §5.11). Clients re-apply quantities and prices only on flagged lines.
 */
final class LineChanges {
  private static final String IS_CHANGED = "is_changed";

  private LineChanges() {}

  /** Marks changed lines of {@code incomingData} in place, comparing with {@code storedMessage}. */
  static void mark(JsonObject incomingData, JsonObject storedMessage) {
    JsonElement storedData = storedMessage.get("data");
    if (storedData == null || !storedData.isJsonObject()) {
      return;
    }
    Map<JsonElement, JsonObject> previous = new HashMap<>();
    for (JsonObject line : lines(storedData.getAsJsonObject())) {
      JsonElement uid = line.get("uid");
      if (uid != null) {
        previous.put(uid, line);
      }
    }
    for (JsonObject line : lines(incomingData)) {
      JsonElement uid = line.get("uid");
      JsonObject before = uid == null ? null : previous.get(uid);
      if (before != null && differs(line, before)) {
        line.addProperty(IS_CHANGED, true);
      }
    }
  }

  /**
   * Sets {@code is_changed: true} on the lines of {@code data} whose uid is in {@code uids} and
   * removes it from the others.
   */
  static void flag(JsonObject data, Collection<String> uids) {
    for (JsonObject line : lines(data)) {
      JsonElement uid = line.get("uid");
      line.remove(IS_CHANGED);
      if (uid != null && uid.isJsonPrimitive() && uids.contains(uid.getAsString())) {
        line.addProperty(IS_CHANGED, true);
      }
    }
  }

  /**
   * Keys added or removed (ignoring {@code is_changed}) or values changed (ignoring {@code id}:
   * every POS numbers its own lines), as the reference's {@code dict_compare} does.
   */
  private static boolean differs(JsonObject now, JsonObject before) {
    Set<String> added = new HashSet<>(now.keySet());
    added.removeAll(before.keySet());
    added.remove(IS_CHANGED);
    Set<String> removed = new HashSet<>(before.keySet());
    removed.removeAll(now.keySet());
    removed.remove(IS_CHANGED);
    if (!added.isEmpty() || !removed.isEmpty()) {
      return true;
    }
    for (String key : now.keySet()) {
      if (!key.equals("id") && before.has(key) && !Python.equal(now.get(key), before.get(key))) {
        return true;
      }
    }
    return false;
  }

  /** The line objects of {@code data.lines}, each written {@code [0, 0, {…}]}; others skipped. */
  private static List<JsonObject> lines(JsonObject data) {
    List<JsonObject> out = new ArrayList<>();
    JsonElement lines = data.get("lines");
    if (lines == null || !lines.isJsonArray()) {
      return out;
    }
    for (JsonElement entry : lines.getAsJsonArray()) {
      if (entry.isJsonArray()) {
        JsonArray triple = entry.getAsJsonArray();
        if (triple.size() >= 3 && triple.get(2).isJsonObject()) {
          out.add(triple.get(2).getAsJsonObject());
        }
      }
    }
    return out;
  }
}
