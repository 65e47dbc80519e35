package io.possync.sync;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.possync.wire.Python;

/**
 * Three-way merge of an order update based on an older revision (docs/conflicts.md).
 *
 * <p>{@code base} is the order as the writer last saw it, {@code ours} the order as stored now,
 * {@code theirs} the late update. Every value is merged on its own: an order-level key, and each
 * key of each line, lines being identified by their {@code uid}. A value changed on one side only
 * takes that change; a value changed on both sides to different values is a conflict, and the
 * later arrival ({@code theirs}) wins. A line removed on one side and unchanged on the other is
 * removed; a line removed on one side and changed on the other is a conflict, decided the same way.
 * Everything else in the payload is carried through untouched: values are compared, never
 * interpreted.
 *
 * <p>Pure: no state, no I/O; the inputs are not modified.
 */
final class OrderMerge {
  /** Keys stamped on each send ({@code MultiSession.send}) or by the server: theirs, as sent. */
  private static final Set<String> ENVELOPE = Set.of("revision_ID", "message_ID", "nonce",
      "pos_id");
  private static final String LINES = "lines";
  private static final String UID = "uid";
  private static final String IS_CHANGED = "is_changed";
  /**
   * Line keys that differ between devices without anyone changing the line: the device's own
   * line number, and {@code ms_info}, which a device that built the order from another POS's data
   * holds empty. They follow the line's other values and never count as a change or conflict.
   */
  private static final Set<String> LOCAL_LINE_KEYS = Set.of("id", "ms_info", IS_CHANGED, UID);

  /**
   * @param data      the merged {@code message.data}
   * @param conflicts where both sides changed the same value differently ({@code theirs} won),
   *                  as paths such as {@code note} or {@code lines[<uid>].qty}
   * @param changedForWriter uids of merged lines the writer's device may show otherwise: those
   *                  that differ from what it sent, and those changed by the revisions it had not
   *                  seen when it sent (their broadcasts may have reached it since); its copy
   *                  flags them {@code is_changed}
   */
  record Result(JsonObject data, List<String> conflicts, Set<String> changedForWriter) {}

  /** Who wrote {@code theirs}: their device computes line uids of orders it was sent (below). */
  record Writer(String sessionId, String loginNumber) {
    /** The writer of {@code message}, if its envelope names one. */
    static Writer of(JsonObject message) {
      String session = integerText(message.get("session_id"));
      String login = integerText(message.get("login_number"));
      return session == null || login == null ? null : new Writer(session, login);
    }

    /**
     * The uid a line with local {@code id} gets on this writer's device when it builds the order
     * from another POS's data: Odoo's {@code Orderline.init_from_JSON} keeps the line's {@code id}
     * and pos_multi_session then computes {@code uid} from the device's own session and login
     * (pos_multi_session.js 12.0, {@code Orderline.initialize}; models.js
     * {@code generate_unique_id}). Such a line is the same line as the stored one with that id.
     */
    String localUid(String sequenceNumber, String lineId) {
      return pad(sessionId, 5) + "-" + pad(loginNumber, 3) + "-" + pad(sequenceNumber, 4) + "-"
          + lineId;
    }
  }

  private OrderMerge() {}

  /**
   * @param base    {@code data} of the revision the writer saw
   * @param ours    {@code data} as stored now
   * @param theirs  {@code data} of the late update, written by {@code theirsBy}
   * @param known   every message still kept, the stored one included: who wrote each, and the
   *                ids their lines had (see {@link Writer#localUid})
   * @param meanwhile {@code data} of each revision after base, the stored one included
   */
  static Result merge(JsonObject base, JsonObject ours, JsonObject theirs, Writer theirsBy,
      List<JsonObject> known, List<JsonObject> meanwhile) {
    List<String> conflicts = new ArrayList<>();
    JsonObject out = new JsonObject();
    Set<String> keys = new LinkedHashSet<>(ours.keySet());
    keys.addAll(theirs.keySet());
    for (String key : keys) {
      JsonElement value;
      if (key.equals(LINES)) {
        continue; // placed below, where ours or theirs had it
      } else if (ENVELOPE.contains(key)) {
        value = theirs.get(key);
      } else {
        value = pick(base.get(key), ours.get(key), theirs.get(key), key, conflicts);
      }
      if (value != null) {
        out.add(key, value.deepCopy());
      }
    }
    Set<String> changedForWriter = new LinkedHashSet<>();
    if (ours.has(LINES) || theirs.has(LINES)) {
      out.add(LINES, mergeLines(base, ours, theirs, theirsBy, known, conflicts,
          changedForWriter, touched(base, meanwhile)));
    }
    return new Result(out, List.copyOf(conflicts), Set.copyOf(changedForWriter));
  }

  /** The rule for one value; null stands for an absent key. */
  private static JsonElement pick(JsonElement base, JsonElement ours, JsonElement theirs,
      String path, List<String> conflicts) {
    if (same(theirs, base)) {
      return ours;
    }
    if (same(ours, base) || same(ours, theirs)) {
      return theirs;
    }
    conflicts.add(path);
    return theirs;
  }

  private static JsonArray mergeLines(JsonObject base, JsonObject ours, JsonObject theirs,
      Writer theirsBy, List<JsonObject> known, List<String> conflicts,
      Set<String> changedForWriter, Set<String> touched) {
    Map<String, JsonArray> b = lines(base);
    Map<String, Set<String>> ids = knownIds(b.keySet(), known);
    // Any device that wrote a kept revision may have renamed lines in ours; only the writer in
    // theirs.
    Set<Namer> oursNamers = new LinkedHashSet<>();
    for (JsonObject message : known) {
      oursNamers.addAll(Namer.of(Writer.of(message), dataOf(message)));
    }
    Map<String, JsonArray> oursLines = lines(ours);
    Map<String, JsonArray> theirsLines = lines(theirs);
    // A uid both sides hold is that line on both sides, whatever it looks like: a device's own
    // new lines have the same form as the uids it gives lines it was sent.
    Set<String> onBothSides = new LinkedHashSet<>(oursLines.keySet());
    onBothSides.retainAll(theirsLines.keySet());
    Side o = recognize(oursLines, b, ids, oursNamers, onBothSides);
    Side t = recognize(theirsLines, b, ids, Namer.of(theirsBy, theirs), onBothSides);
    JsonArray out = new JsonArray();
    // Ours first, in its order (what every other terminal already shows), then theirs' new lines.
    Set<String> keys = new LinkedHashSet<>(o.lines().keySet());
    keys.addAll(t.lines().keySet());
    for (String key : keys) {
      JsonArray bl = b.get(key);
      JsonArray ol = o.lines().get(key);
      JsonArray tl = t.lines().get(key);
      JsonArray merged;
      if (ol != null && tl != null) {
        merged = mergeLine(bl, ol, tl, key, conflicts);
      } else if (bl == null) {
        merged = ol != null ? ol : tl; // added on one side
      } else if (ol != null) {
        // removed by theirs: gone unless ours changed it meanwhile (a conflict theirs wins)
        if (!sameLine(lineBody(ol), lineBody(bl))) {
          conflicts.add("lines[" + key + "]");
        }
        merged = null;
      } else {
        // removed by ours: gone unless theirs changed it (a conflict theirs wins)
        if (sameLine(lineBody(tl), lineBody(bl))) {
          merged = null;
        } else {
          conflicts.add("lines[" + key + "]");
          merged = tl;
        }
      }
      if (merged == null) {
        continue;
      }
      // Known by the uid the terminals that have ours use, else by the writer's.
      String uid = ol != null ? o.uids().get(key) : t.uids().get(key);
      JsonArray copy = merged.deepCopy();
      JsonObject body = copy.get(2).getAsJsonObject();
      body.remove(IS_CHANGED);
      body.addProperty(UID, uid);
      out.add(copy);
      if (tl == null || !sameLine(lineBody(copy), lineBody(tl))
          || !uid.equals(t.uids().get(key)) || touched.contains(uid) || touched.contains(key)) {
        changedForWriter.add(uid);
      }
    }
    for (JsonElement odd : unidentified(theirs)) {
      out.add(odd.deepCopy()); // a line without uid cannot be matched: kept as sent
    }
    return out;
  }

  /** Uids of lines some revision after base holds otherwise than base (or at all, or not). */
  private static Set<String> touched(JsonObject base, List<JsonObject> meanwhile) {
    Map<String, JsonArray> b = lines(base);
    Set<String> out = new LinkedHashSet<>();
    for (JsonObject data : meanwhile) {
      Map<String, JsonArray> then = lines(data);
      for (Map.Entry<String, JsonArray> e : then.entrySet()) {
        JsonArray before = b.get(e.getKey());
        if (before == null || !sameLine(lineBody(e.getValue()), lineBody(before))) {
          out.add(e.getKey());
        }
      }
      for (String uid : b.keySet()) {
        if (!then.containsKey(uid)) {
          out.add(uid);
        }
      }
    }
    return out;
  }

  /** One side's lines by the uid they have in base, where recognized; with their own uids. */
  private record Side(Map<String, JsonArray> lines, Map<String, String> uids) {}

  /** Merges one line present on both sides, key by key (its uid is the key it is known by). */
  private static JsonArray mergeLine(JsonArray base, JsonArray ours, JsonArray theirs, String uid,
      List<String> conflicts) {
    JsonObject b = base == null ? new JsonObject() : lineBody(base);
    JsonObject o = lineBody(ours);
    JsonObject t = lineBody(theirs);
    JsonObject body = new JsonObject();
    Set<String> keys = new LinkedHashSet<>(o.keySet());
    keys.addAll(t.keySet());
    boolean theirsChanged = !sameLine(t, b);
    for (String key : keys) {
      if (key.equals(IS_CHANGED) || key.equals(UID)) {
        continue;
      }
      JsonElement v;
      if (LOCAL_LINE_KEYS.contains(key)) {
        v = theirsChanged ? t.get(key) : o.get(key); // they go with the side that changed
        v = v != null ? v : o.get(key);
      } else {
        v = pick(b.get(key), o.get(key), t.get(key), "lines[" + uid + "]." + key, conflicts);
      }
      if (v != null) {
        body.add(key, v.deepCopy());
      }
    }
    JsonArray triple = theirs.deepCopy();
    triple.set(2, body);
    return triple;
  }

  /**
   * A side's lines keyed by uid, except that a line the side's writer renamed when its device
   * built the order (see {@link Writer#localUid}) is keyed by its uid in base. Only a base line
   * the side does not also name under its base uid is recognized, only once, only by a line of
   * the same product and price, and never by a uid in {@code known}.
   */
  private static Side recognize(Map<String, JsonArray> side, Map<String, JsonArray> base,
      Map<String, Set<String>> ids, Set<Namer> namers, Set<String> known) {
    Map<String, String> byLocalUid = new LinkedHashMap<>();
    for (Namer namer : namers) {
      for (Map.Entry<String, Set<String>> e : ids.entrySet()) {
        if (!side.containsKey(e.getKey())) {
          for (String id : e.getValue()) {
            byLocalUid.putIfAbsent(namer.writer().localUid(namer.sequence(), id), e.getKey());
          }
        }
      }
    }
    Map<String, JsonArray> lines = new LinkedHashMap<>();
    Map<String, String> uids = new LinkedHashMap<>();
    for (Map.Entry<String, JsonArray> e : side.entrySet()) {
      String baseUid = base.containsKey(e.getKey()) || known.contains(e.getKey()) ? null
          : byLocalUid.get(e.getKey());
      if (baseUid != null && !sameGoods(lineBody(e.getValue()), lineBody(base.get(baseUid)))) {
        baseUid = null; // another product or price: a new line whose uid only looks alike
      }
      String key = baseUid != null && !lines.containsKey(baseUid) ? baseUid : e.getKey();
      if (baseUid != null) {
        byLocalUid.values().removeIf(baseUid::equals);
      }
      lines.putIfAbsent(key, e.getValue());
      uids.putIfAbsent(key, e.getKey());
    }
    return new Side(lines, uids);
  }

  /**
   * Whether two lines sell the same product at the same unit price: a renamed line does; a new
   * line that merely has an old line's local id rarely does, and if it does the two are
   * interchangeable on the order.
   */
  private static boolean sameGoods(JsonObject a, JsonObject b) {
    return Python.equal(a.get("product_id"), b.get("product_id"))
        && Python.equal(a.get("price_unit"), b.get("price_unit"));
  }

  /** A device that may have renamed lines, and the order number it had then. */
  private record Namer(Writer writer, String sequence) {
    static Set<Namer> of(Writer writer, JsonObject data) {
      String sequence = integerText(data.get("sequence_number"));
      return writer == null || sequence == null ? Set.of() : Set.of(new Namer(writer, sequence));
    }
  }

  private static JsonObject dataOf(JsonObject message) {
    JsonElement d = message.get("data");
    return d != null && d.isJsonObject() ? d.getAsJsonObject() : new JsonObject();
  }

  /** Every {@code id} each base line had in the kept revisions (a device keeps the first). */
  private static Map<String, Set<String>> knownIds(Set<String> baseUids, List<JsonObject> known) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    for (JsonObject message : known) {
      for (Map.Entry<String, JsonArray> e : lines(dataOf(message)).entrySet()) {
        String id = integerText(lineBody(e.getValue()).get("id"));
        if (id != null && baseUids.contains(e.getKey())) {
          out.computeIfAbsent(e.getKey(), k -> new LinkedHashSet<>()).add(id);
        }
      }
    }
    return out;
  }

  /** The lines of {@code data.lines} by uid ({@code [0, 0, {…, "uid": …}]}), in their order. */
  static Map<String, JsonArray> lines(JsonObject data) {
    Map<String, JsonArray> out = new LinkedHashMap<>();
    JsonElement lines = data.get(LINES);
    if (lines == null || !lines.isJsonArray()) {
      return out;
    }
    for (JsonElement entry : lines.getAsJsonArray()) {
      String uid = identified(entry);
      if (uid != null) {
        out.putIfAbsent(uid, entry.getAsJsonArray());
      }
    }
    return out;
  }

  private static List<JsonElement> unidentified(JsonObject data) {
    List<JsonElement> out = new ArrayList<>();
    JsonElement lines = data.get(LINES);
    if (lines != null && lines.isJsonArray()) {
      for (JsonElement entry : lines.getAsJsonArray()) {
        if (identified(entry) == null) {
          out.add(entry);
        }
      }
    }
    return out;
  }

  private static String identified(JsonElement entry) {
    if (!entry.isJsonArray() || entry.getAsJsonArray().size() < 3
        || !entry.getAsJsonArray().get(2).isJsonObject()) {
      return null;
    }
    JsonElement uid = entry.getAsJsonArray().get(2).getAsJsonObject().get(UID);
    return uid != null && uid.isJsonPrimitive() && uid.getAsJsonPrimitive().isString()
        ? uid.getAsString() : null;
  }

  private static JsonObject lineBody(JsonArray line) {
    return line.get(2).getAsJsonObject();
  }

  /** The same line values, the device-local keys aside. */
  private static boolean sameLine(JsonObject a, JsonObject b) {
    JsonObject x = a.deepCopy();
    JsonObject y = b.deepCopy();
    for (String key : LOCAL_LINE_KEYS) {
      x.remove(key);
      y.remove(key);
    }
    return Python.equal(x, y);
  }

  /**
   * Equal as Python compares them, absent only equal to absent. (A value is an order field or a
   * line's field; {@code is_changed} sits on whole lines, which {@link #sameLine} compares.)
   */
  private static boolean same(JsonElement a, JsonElement b) {
    return a == null || b == null ? a == b : Python.equal(a, b);
  }

  /** An integer's decimal text (JSON 7 or 7.0 or "7"), or null. */
  private static String integerText(JsonElement e) {
    return Python.integer(e == null ? com.google.gson.JsonNull.INSTANCE : e)
        .filter(v -> v.signum() >= 0).map(java.math.BigInteger::toString).orElse(null);
  }

  /** JavaScript's zero_pad of models.js: left-pads with zeros, never cuts. */
  private static String pad(String digits, int size) {
    return digits.length() >= size ? digits : "0".repeat(size - digits.length()) + digits;
  }
}
