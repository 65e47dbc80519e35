package io.possync.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The fuzzer's request generator: request {@code i} of seed {@code s} is always the same bytes
 * (apart from the beacon id filled in when sent), whichever thread sends it, so a failure is
 * replayed with {@code -Dpossync.fuzz.seed=s -Dpossync.fuzz.only=i}.
 *
 * <p>Inputs start from the golden transcript's real request bodies and are mutated as JSON trees
 * (type swaps, missing and extra keys at every level, edge-case numbers and strings, nesting,
 * crossover between messages), then as text (duplicated keys, raw tokens that are not JSON, raw
 * bytes that are not UTF-8, truncation), and finally as HTTP (methods, paths, headers, framing).
 */
final class FuzzInputs {
  /** A channel nobody but the fuzzer's beacon publishes on (see {@link FuzzTest}). */
  static final String BEACON_CHANNEL = "[\"fuzz-beacon\",\"pos.longpolling\",\"1\"]";
  /**
   * Stands for "the beacon's id - 1" in a steered poll; replaced when the request is sent, so the
   * poll is answered at once with the beacon's PONG instead of being held.
   */
  static final String BEACON_LAST = "7777777777777771";

  /** A golden request: its path and body. */
  record Seed(String path, JsonObject body) {}

  /** How the body travels. */
  enum Framing { CONTENT_LENGTH, CHUNKED, NONE }

  /**
   * One request.
   *
   * @param wellFormed whether the bytes are a well-formed HTTP/1.1 request (then an answer of the
   *                   documented shape is required); garbage may get anything but a 5xx
   * @param mayPark    a poll that may be held for {@code poll.timeout} (sent on the slow lane)
   * @param raw        for garbage: the whole wire bytes
   */
  record Request(int index, String kind, String method, String target, List<String> headers,
      byte[] body, Framing framing, boolean wellFormed, boolean preflight, boolean mayPark,
      byte[] raw) {
    boolean head() {
      return "HEAD".equals(method);
    }

    /** The bytes on the wire, the beacon id filled in. */
    byte[] wire(int port, long beaconLast) {
      if (raw != null) {
        return raw;
      }
      byte[] b = replaceAscii(body, BEACON_LAST, Long.toString(beaconLast));
      ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 512);
      boolean http10 = headers.contains("\u0000HTTP/1.0");
      write(out, method + " " + target + (http10 ? " HTTP/1.0" : " HTTP/1.1") + "\r\n");
      write(out, "Host: 127.0.0.1:" + port + "\r\n");
      for (String h : headers) {
        if (!h.startsWith("\u0000")) {
          write(out, h + "\r\n");
        }
      }
      if (framing == Framing.CONTENT_LENGTH) {
        write(out, "Content-Length: " + b.length + "\r\n\r\n");
        out.writeBytes(b);
      } else if (framing == Framing.CHUNKED) {
        write(out, "Transfer-Encoding: chunked\r\n\r\n");
        SplittableRandom r = new SplittableRandom(index);
        int at = 0;
        while (at < b.length) {
          int n = Math.min(b.length - at, 1 + r.nextInt(r.nextBoolean() ? 16 : 65536));
          write(out, Integer.toHexString(n) + (r.nextInt(8) == 0 ? ";ext=1" : "") + "\r\n");
          out.write(b, at, n);
          write(out, "\r\n");
          at += n;
        }
        write(out, "0\r\n" + (r.nextInt(8) == 0 ? "X-Trailer: t\r\n" : "") + "\r\n");
      } else {
        write(out, "\r\n");
      }
      return out.toByteArray();
    }

    /** For failure reports: the request line, headers and the body shortened. */
    String describe(int port, long beaconLast) {
      byte[] w = wire(port, beaconLast);
      return "#" + index + " [" + kind + "] " + shorten(w, 700);
    }
  }

  static final String UPDATE = PosSyncServer.UPDATE_PATH;
  static final String POLL = PosSyncServer.POLL_PATH;
  static final String PING = PosSyncServer.PING_PATH;

  private static final Set<String> IMPORTANT = Set.of("params", "message", "data", "action", "uid",
      "revision_ID", "run_ID", "pos_id", "nonce", "order_data", "sequence_number", "lines",
      "channels", "last", "options", "peek", "dbname", "db_name", "multi_session_id", "user_ID",
      "id", "immediate_rerendering", "finalized", "login_number", "session_id", "jsonrpc");

  private static final String[] NUMBERS = {"0", "-0", "1", "-1", "2", "3", "7", "42", "0.5",
      "-0.0", "1.0", "1e0", "1E+2", "2.50E+3", "9007199254740991", "9007199254740992",
      "9007199254740993", "-9007199254740993", "9223372036854775807", "9223372036854775808",
      "-9223372036854775808", "-9223372036854775809", "18446744073709551616",
      "1208925819614629174706176", "1e400", "-1e400", "1e-400", "4.9e-324",
      "1.7976931348623157e308", "123456789012345678901234567890.123456789", "1e999999999",
      "-1e-999999999", "0e999999999", "1e2147483647", "1e-2147483648",
      "100000000000000000000000000000000000000000000000000000000000000000000000000000000001"};

  private static final String[] STRINGS = {"", " ", "a", "PING", "\u0000", "a\u0000b", "\u2028",
      "\u2029", "\ud800", "\udfff", "a\ud83cb", "\udf54\ud83c", "\ud83c\udf55",
      "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67", "\u202eRTL\u202c", "\u05e9\u05dc\u05d5\u05dd",
      "\u0645\u0631\u062d\u0628\u0627", "e\u0301", "\ufeff", "\uffff", "\ufffe", "\u0085", "\t\n\r",
      "\\", "\"", "</script>", "' OR 1=1 --", "%s%n%x", "${jndi:ldap://127.0.0.1/x}", "null",
      "true", "false", "1", "-1", " 7 ", "1.5", "1e400", "9007199254740993", "NaN", "Infinity",
      "0x10", "1_000", "+3", "\u0663", "1".repeat(101), "testdb", "pos.multi_session",
      "[\"testdb\",\"pos.multi_session\",\"1\"]", "[\"testdb\", \"pos.longpolling\", \"1\"]",
      "[\"testdb\",\"pos.longpolling\",1]", "[[[[[[", "{\"id\":1,\"data\":{\"uid\":\"x\"}}",
      "{\"data\":", "sync_all", "update_order", "remove_order", "paid offline",
      "00001-001-0001", "00002-001-0001"};

  private static final String[] ACTIONS = {"sync_all", "update_order", "remove_order",
      "custom_note", "", "SYNC_ALL", "sync_all ", "\u0000", "constructor", "__proto__"};

  /** Tokens that are not JSON (or are JSON at the edge), put where a value goes. */
  private static final String[] RAW_TOKENS = {"NaN", "Infinity", "-Infinity", "01", "1.", ".5",
      "+1", "0x1F", "1e", "-", "1e+", "undefined", "True", "nul", "'single'", "[1,]",
      "{\"a\":1,}", "/*c*/1", "1 2", "\"unterminated", "\"\\x41\"", "\"\\u12\"", "\"\\uD800\"",
      "\"\\ud83c\\udf54\"", "\"\\uDC00\\uD800\"", "\"\\u0000\"", "\"\\/\"", "1" + "0".repeat(400),
      "0." + "0".repeat(1000) + "1", "1e" + "9".repeat(20), "-0e-0", "[]", "{}", "[[]]",
      "{\"\":\"\"}"};

  /** Bytes put inside a JSON string: invalid UTF-8, raw controls, and valid raw characters. */
  private static final byte[][] RAW_IN_STRING = {{0x00}, {0x1F}, {0x7F}, {0x0A},
      {(byte) 0xC0, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
      {(byte) 0xED, (byte) 0xB0, (byte) 0x80},
      {(byte) 0xED, (byte) 0xA0, (byte) 0xBD, (byte) 0xED, (byte) 0xB8, (byte) 0x80},
      {(byte) 0xE2, (byte) 0x80, (byte) 0xA8}, {(byte) 0xE2, (byte) 0x80, (byte) 0xA9},
      {(byte) 0xF0, (byte) 0x9F, (byte) 0x8D, (byte) 0x95},
      {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
      {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xFF},
      {(byte) 0xFE, (byte) 0xFF}, {(byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
      {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, {(byte) 0xD7, (byte) 0xA9, (byte) 0xD7, (byte) 0x9C}};

  private static final String[] METHODS = {"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD",
      "TRACE", "PROPFIND", "FOO", "post"};

  private static final String[] CONTENT_TYPES = {"text/plain", "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x", "application/json; charset=ISO-8859-1",
      "application/json; charset=utf-16", "", "*/*", "application/json, application/json",
      "application/xml", "text/html; charset=utf-8"};

  private final List<Seed> seeds;
  private final int maxBodyBytes;

  FuzzInputs(List<Seed> seeds, int maxBodyBytes) {
    this.seeds = List.copyOf(seeds);
    this.maxBodyBytes = maxBodyBytes;
  }

  /** The request bodies of the golden transcript. */
  static List<Seed> goldenSeeds(String resource) {
    InputStream in = FuzzInputs.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException("test resource " + resource + " is missing");
    }
    List<Seed> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank()) {
          JsonObject o = JsonParser.parseString(line).getAsJsonObject();
          out.add(new Seed(o.get("path").getAsString(), o.getAsJsonObject("request")));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The JSON-RPC id request {@code index} is sent with (unless a mutation changed it). */
  static long uniqueId(int index) {
    return 7_000_000_000L + index;
  }

  static long mix(long seed, long index) {
    long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Request number {@code index} of the run with {@code seed}. */
  Request generate(long seed, int index) {
    SplittableRandom r = new SplittableRandom(mix(seed, index));
    Seed s = seeds.get(r.nextInt(seeds.size()));
    JsonObject body = s.body().deepCopy();
    // An id of its own, before any mutation: on a kept connection an answer that carries another
    // request's id was sent to the wrong request (FuzzOracle).
    body.addProperty("id", uniqueId(index));
    String path = s.path();
    int roll = r.nextInt(1000);
    if (roll < 90) {
      return post(index, "valid", path, body, r, false);
    }
    if (roll < 600) {
      int n = 1 + r.nextInt(1 + r.nextInt(4));
      for (int k = 0; k < n; k++) {
        mutateTree(body, r, false);
      }
      return post(index, "json", path, body, r, false);
    }
    if (roll < 720) {
      if (r.nextBoolean()) {
        mutateTree(body, r, false);
      }
      return post(index, "text", path, body, r, true);
    }
    if (roll < 770) {
      return wrongMethod(index, path, body, r);
    }
    if (roll < 830) {
      mutateMaybe(body, r);
      return post(index, "path", oddPath(path, r), body, r, false);
    }
    if (roll < 870) {
      mutateMaybe(body, r);
      return headerVariant(index, path, body, r);
    }
    if (roll < 885) {
      return oversized(index, path, body, r);
    }
    if (roll < 905) {
      byte[] bytes = new byte[r.nextInt(1 + r.nextInt(4096))];
      r.nextBytes(bytes);
      return request(index, "bytes", "POST", path, baseHeaders(r), bytes, framing(r), true, false);
    }
    if (roll < 910) {
      mutateTree(body, r, true);
      // Mostly into a multi-session of its own: a huge order in the busy one would be broadcast
      // to every terminal the fuzzer registered there and kept in memory (retention) by each.
      JsonObject params = path(body, "params");
      if (params != null && params.has("dbname") && r.nextInt(5) != 0) {
        params.addProperty("dbname", "fuzz-huge");
      }
      return post(index, "huge", path, body, r, false);
    }
    if (roll < 945) {
      return garbage(index, path, body, r);
    }
    if (roll < 965) {
      return preflight(index, r.nextInt(4) == 0 ? oddPath(path, r) : path, r);
    }
    // A batch, a bare value or an empty body where the JSON-RPC object goes.
    boolean steered = !isPoll(path) || steerPoll(body, r);
    String json = body.toString();
    String[] tops = {"[]", "[" + json + "]", "null", "\"call\"", "1", "", " ", "{}",
        "{\"params\":[]}", "{\"jsonrpc\":\"2.0\"}", "{\"params\":null,\"id\":[1]}", "[" + json + "," + json + "]",
        "{\"id\":{\"a\":[1,{\"b\":null}]},\"params\":{}}", "\ufeff" + json, json + "\n", "\n\t " + json,
        json + "}", json + json};
    return request(index, "top", "POST", path, baseHeaders(r),
        tops[r.nextInt(tops.length)].getBytes(StandardCharsets.UTF_8), framing(r), true, !steered);
  }

  // --- JSON tree mutations ----------------------------------------------------------------

  private void mutateMaybe(JsonObject body, SplittableRandom r) {
    if (r.nextInt(3) == 0) {
      mutateTree(body, r, false);
    }
  }

  /** A place in the tree: a member of an object or an element of an array. */
  private record Slot(JsonElement parent, String key, int index, int depth) {
    JsonElement get() {
      return key != null ? parent.getAsJsonObject().get(key) : parent.getAsJsonArray().get(index);
    }

    void set(JsonElement v) {
      if (key != null) {
        parent.getAsJsonObject().add(key, v);
      } else {
        parent.getAsJsonArray().set(index, v);
      }
    }

    void remove() {
      if (key != null) {
        parent.getAsJsonObject().remove(key);
      } else {
        parent.getAsJsonArray().remove(index);
      }
    }
  }

  private static void slots(JsonElement e, int depth, List<Slot> out) {
    if (out.size() > 5000) {
      return;
    }
    if (e.isJsonObject()) {
      for (String k : List.copyOf(e.getAsJsonObject().keySet())) {
        out.add(new Slot(e, k, -1, depth));
        slots(e.getAsJsonObject().get(k), depth + 1, out);
      }
    } else if (e.isJsonArray()) {
      JsonArray a = e.getAsJsonArray();
      for (int i = 0; i < a.size(); i++) {
        out.add(new Slot(e, null, i, depth));
        slots(a.get(i), depth + 1, out);
      }
    }
  }

  private void mutateTree(JsonObject root, SplittableRandom r, boolean huge) {
    List<Slot> all = new ArrayList<>();
    slots(root, 0, all);
    if (all.isEmpty()) {
      root.add("params", randomValue(r, 2));
      return;
    }
    Slot slot = all.get(r.nextInt(all.size()));
    if (r.nextInt(10) < 4) {
      List<Slot> important = all.stream()
          .filter(x -> x.key() != null && IMPORTANT.contains(x.key())).toList();
      if (!important.isEmpty()) {
        slot = important.get(r.nextInt(important.size()));
      }
    }
    JsonElement v = slot.get();
    if (huge) {
      slot.set(hugeValue(r));
      return;
    }
    switch (r.nextInt(14)) {
      case 0, 1 -> slot.set(typeSwap(v, r));
      case 2 -> slot.remove();
      case 3 -> {
        JsonObject target = v.isJsonObject() ? v.getAsJsonObject()
            : slot.parent().isJsonObject() ? slot.parent().getAsJsonObject() : null;
        if (target != null) {
          target.add(randomKey(r), randomValue(r, 2));
        } else {
          slot.parent().getAsJsonArray().add(randomValue(r, 2));
        }
      }
      case 4, 5 -> slot.set(number(r));
      case 6, 7 -> slot.set(new JsonPrimitive(STRINGS[r.nextInt(STRINGS.length)]));
      case 8 -> slot.set(nest(v, r.nextInt(5) == 0 ? 100 + r.nextInt(100) : 1 + r.nextInt(4), r));
      case 9 -> slot.set(flip(v));
      case 10 -> slot.set(crossover(r));
      case 11 -> {
        if ("action".equals(slot.key()) || r.nextBoolean()) {
          slot.set(new JsonPrimitive(ACTIONS[r.nextInt(ACTIONS.length)]));
        } else {
          slot.set(JsonNull.INSTANCE);
        }
      }
      case 12 -> {
        if (v.isJsonArray() && !v.getAsJsonArray().isEmpty()) {
          JsonArray a = v.getAsJsonArray();
          int times = 1 + r.nextInt(r.nextInt(10) == 0 ? 300 : 4);
          JsonElement first = a.get(r.nextInt(a.size()));
          for (int i = 0; i < times; i++) {
            a.add(first.deepCopy());
          }
        } else {
          slot.set(typeSwap(v, r));
        }
      }
      default -> paidOffline(root, r);
    }
  }

  /** Puts an order message into {@code data.order_data}, as a terminal that paid offline does. */
  private void paidOffline(JsonObject root, SplittableRandom r) {
    JsonObject data = path(root, "params", "message", "data");
    if (data == null) {
      return;
    }
    JsonObject order = null;
    for (int tries = 0; tries < 20 && order == null; tries++) {
      Seed s = seeds.get(r.nextInt(seeds.size()));
      JsonObject d = path(s.body(), "params", "message", "data");
      if (d != null && d.has("lines")) {
        order = new JsonObject();
        order.addProperty("id", d.has("uid") ? d.get("uid").getAsString() : "x");
        order.add("data", d.deepCopy());
      }
    }
    if (order == null) {
      return;
    }
    if (r.nextBoolean()) {
      mutateTree(order, r, false);
    }
    data.add("order_data", r.nextInt(4) == 0 ? order : new JsonPrimitive(order.toString()));
    if (r.nextBoolean()) {
      JsonObject message = path(root, "params", "message");
      message.addProperty("action", "remove_order");
    }
  }

  private static JsonObject path(JsonObject root, String... keys) {
    JsonElement e = root;
    for (String k : keys) {
      if (e == null || !e.isJsonObject()) {
        return null;
      }
      e = e.getAsJsonObject().get(k);
    }
    return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
  }

  private JsonElement crossover(SplittableRandom r) {
    Seed s = seeds.get(r.nextInt(seeds.size()));
    List<Slot> all = new ArrayList<>();
    slots(s.body(), 0, all);
    return all.isEmpty() ? s.body().deepCopy() : all.get(r.nextInt(all.size())).get().deepCopy();
  }

  private static JsonElement typeSwap(JsonElement v, SplittableRandom r) {
    switch (r.nextInt(10)) {
      case 0:
        return JsonNull.INSTANCE;
      case 1:
        return new JsonPrimitive(r.nextBoolean());
      case 2:
        return number(r);
      case 3:
        return new JsonPrimitive(v.isJsonPrimitive() ? v.getAsString() : v.toString());
      case 4: {
        JsonArray a = new JsonArray();
        a.add(v);
        return a;
      }
      case 5: {
        JsonObject o = new JsonObject();
        o.add(r.nextBoolean() ? "value" : randomKey(r), v);
        return o;
      }
      case 6:
        return new JsonArray();
      case 7:
        return new JsonObject();
      case 8:
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()) {
          try {
            JsonElement parsed = JsonParser.parseString(v.getAsString());
            if (parsed != null && !parsed.isJsonNull()) {
              return parsed;
            }
          } catch (RuntimeException notJson) {
            // fall through
          }
        }
        return flip(v);
      default:
        return new JsonPrimitive(STRINGS[r.nextInt(STRINGS.length)]);
    }
  }

  /** An object becomes an array of its values and vice versa; primitives are boxed. */
  private static JsonElement flip(JsonElement v) {
    if (v.isJsonObject()) {
      JsonArray a = new JsonArray();
      for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) {
        a.add(e.getValue());
      }
      return a;
    }
    if (v.isJsonArray()) {
      JsonObject o = new JsonObject();
      JsonArray a = v.getAsJsonArray();
      for (int i = 0; i < a.size(); i++) {
        o.add(Integer.toString(i), a.get(i));
      }
      return o;
    }
    JsonArray a = new JsonArray();
    a.add(v);
    return a;
  }

  private static JsonElement nest(JsonElement v, int depth, SplittableRandom r) {
    JsonElement e = v;
    for (int i = 0; i < depth; i++) {
      if (r.nextBoolean()) {
        JsonArray a = new JsonArray();
        a.add(e);
        e = a;
      } else {
        JsonObject o = new JsonObject();
        o.add("data", e);
        e = o;
      }
    }
    return e;
  }

  private static JsonElement number(SplittableRandom r) {
    String text = r.nextInt(4) == 0 ? Long.toString(r.nextInt(40) - 5) : NUMBERS[r.nextInt(NUMBERS.length)];
    return JsonParser.parseString(text);
  }

  private static String randomKey(SplittableRandom r) {
    String[] keys = IMPORTANT.toArray(new String[0]);
    java.util.Arrays.sort(keys);
    return switch (r.nextInt(3)) {
      case 0 -> keys[r.nextInt(keys.length)];
      case 1 -> STRINGS[r.nextInt(STRINGS.length)];
      default -> new String[] {"__proto__", "constructor", "x_extra", "is_changed", "message_ID",
          "order_ID", "pos_id ", "Action"}[r.nextInt(8)];
    };
  }

  private static JsonElement randomValue(SplittableRandom r, int depth) {
    int k = r.nextInt(depth <= 0 ? 4 : 6);
    return switch (k) {
      case 0 -> JsonNull.INSTANCE;
      case 1 -> number(r);
      case 2 -> new JsonPrimitive(STRINGS[r.nextInt(STRINGS.length)]);
      case 3 -> new JsonPrimitive(r.nextBoolean());
      case 4 -> {
        JsonArray a = new JsonArray();
        for (int i = r.nextInt(4); i > 0; i--) {
          a.add(randomValue(r, depth - 1));
        }
        yield a;
      }
      default -> {
        JsonObject o = new JsonObject();
        for (int i = r.nextInt(4); i > 0; i--) {
          o.add(randomKey(r), randomValue(r, depth - 1));
        }
        yield o;
      }
    };
  }

  /** A string of 1 KB to ~1 MB (log-uniform), a long array, or a number of many digits. */
  private JsonElement hugeValue(SplittableRandom r) {
    int bytes = (int) Math.min(maxBodyBytes - 4096, Math.pow(2, 10 + r.nextDouble() * 10));
    switch (r.nextInt(5)) {
      case 0:
        return new JsonPrimitive("x".repeat(bytes));
      case 1: {
        // Mixed: ASCII, two-, three- and four-byte characters, a lone surrogate now and then.
        String[] parts = {"a", "\u00e9", "\u05e9", "\u20ac", "\ud83c\udf55", "\u2028", "\u0000", "\ud800"};
        StringBuilder sb = new StringBuilder();
        int size = 0;
        while (size < bytes) {
          String p = parts[r.nextInt(parts.length)];
          sb.append(p);
          size += p.getBytes(StandardCharsets.UTF_8).length;
        }
        return new JsonPrimitive(sb.toString());
      }
      case 2: {
        JsonArray a = new JsonArray();
        for (int i = Math.min(bytes / 4, 50_000); i > 0; i--) {
          a.add(i % 7);
        }
        return a;
      }
      case 3:
        return JsonParser.parseString("9".repeat(Math.min(bytes, 20_000)));
      default: {
        JsonObject o = new JsonObject();
        for (int i = Math.min(bytes / 16, 20_000); i > 0; i--) {
          o.addProperty("k" + i, i);
        }
        return o;
      }
    }
  }

  // --- text mutations ---------------------------------------------------------------------

  private static final String MARK = "\u0001M\u0001";
  /** How Gson writes {@link #MARK} inside a JSON string. */
  private static final String MARK_TEXT = "\\u0001M\\u0001";

  /** Serializes the tree, then damages or bends the text in one of several ways. */
  private byte[] mutateText(JsonObject body, SplittableRandom r) {
    List<Slot> all = new ArrayList<>();
    slots(body, 0, all);
    int op = r.nextInt(9);
    if (op <= 2 && !all.isEmpty()) {
      Slot slot = all.get(r.nextInt(all.size()));
      if (op == 0 && slot.key() != null) {
        // A duplicated key: the marker key becomes a second copy of a sibling's name.
        JsonObject parent = slot.parent().getAsJsonObject();
        parent.add(MARK, r.nextBoolean() ? randomValue(r, 1) : parent.get(slot.key()).deepCopy());
        String text = body.toString().replace("\"" + MARK_TEXT + "\"",
            new JsonPrimitive(slot.key()).toString());
        return text.getBytes(StandardCharsets.UTF_8);
      }
      if (op == 1) {
        // A raw token that is not (or barely is) JSON where a value goes.
        slot.set(new JsonPrimitive(MARK));
        String token = RAW_TOKENS[r.nextInt(RAW_TOKENS.length)];
        if (r.nextInt(6) == 0) {
          int d = 100 + r.nextInt(r.nextBoolean() ? 200 : 5000);
          token = r.nextBoolean() ? "[".repeat(d) + "]".repeat(d)
              : "{\"a\":".repeat(d) + "1" + "}".repeat(d);
        }
        return body.toString().replace("\"" + MARK_TEXT + "\"", token)
            .getBytes(StandardCharsets.UTF_8);
      }
      // Raw bytes inside a string: invalid UTF-8, raw control characters, CESU-8 surrogates.
      JsonElement v = slot.get();
      String s = v.isJsonPrimitive() && v.getAsJsonPrimitive().isString() ? v.getAsString() : "v";
      int at = r.nextInt(s.length() + 1);
      slot.set(new JsonPrimitive(s.substring(0, at) + MARK + s.substring(at)));
      byte[] text = body.toString().getBytes(StandardCharsets.UTF_8);
      return replaceAscii(text, MARK_TEXT, RAW_IN_STRING[r.nextInt(RAW_IN_STRING.length)]);
    }
    byte[] text = (r.nextInt(4) == 0 ? pretty(body) : body.toString()).getBytes(StandardCharsets.UTF_8);
    if (text.length == 0) {
      return text;
    }
    switch (op) {
      case 3: // truncated
        return java.util.Arrays.copyOf(text, r.nextInt(text.length));
      case 4: { // bytes flipped
        byte[] t = text.clone();
        for (int i = 1 + r.nextInt(4); i > 0; i--) {
          t[r.nextInt(t.length)] ^= (byte) (1 << r.nextInt(8));
        }
        return t;
      }
      case 5: { // random bytes inserted
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = r.nextInt(text.length + 1);
        out.write(text, 0, at);
        byte[] junk = new byte[1 + r.nextInt(8)];
        r.nextBytes(junk);
        out.writeBytes(junk);
        out.write(text, at, text.length - at);
        return out.toByteArray();
      }
      case 6: { // a range deleted
        int a = r.nextInt(text.length);
        int b = Math.min(text.length, a + 1 + r.nextInt(16));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(text, 0, a);
        out.write(text, b, text.length - b);
        return out.toByteArray();
      }
      case 7: { // garbage after the value, or a BOM before it
        String[] tails = {"}", " x", ",", "\u0000", "\n{}", "]", " ", "\r\n"};
        if (r.nextBoolean()) {
          return concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, text);
        }
        return concat(text, tails[r.nextInt(tails.length)].getBytes(StandardCharsets.UTF_8));
      }
      default: // valid JSON, only spaced out
        return pretty(body).getBytes(StandardCharsets.UTF_8);
    }
  }

  private static String pretty(JsonElement e) {
    return new com.google.gson.GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(e);
  }

  // --- HTTP-level variants ----------------------------------------------------------------

  private static List<String> baseHeaders(SplittableRandom r) {
    List<String> h = new ArrayList<>();
    h.add("Content-Type: application/json");
    h.add("Accept: application/json, text/javascript, */*; q=0.01");
    if (r.nextBoolean()) {
      h.add("Origin: https://odoo.example.com");
    }
    return h;
  }

  private static Framing framing(SplittableRandom r) {
    return r.nextInt(12) == 0 ? Framing.CHUNKED : Framing.CONTENT_LENGTH;
  }

  private Request post(int index, String kind, String path, JsonObject body, SplittableRandom r,
      boolean text) {
    boolean steered = isPoll(path) && steerPoll(body, r);
    byte[] bytes = text ? mutateText(body, r) : body.toString().getBytes(StandardCharsets.UTF_8);
    return request(index, kind, "POST", path, baseHeaders(r), bytes, framing(r), true,
        isPoll(path) && !steered);
  }

  /** Whether the path may reach the poll route (odd spellings included). */
  static boolean isPoll(String path) {
    return path.toLowerCase(java.util.Locale.ROOT).contains("poll")
        && !path.toLowerCase(java.util.Locale.ROOT).contains("pos_longpolling");
  }

  /**
   * Most polls are made to return at once: channels naming the fuzzed databases become the
   * beacon's channel (a poll on them would return thousands of broadcasts) and {@code last}
   * becomes the beacon's id - 1. Returns whether {@code last} was steered.
   */
  private static boolean steerPoll(JsonObject body, SplittableRandom r) {
    JsonObject params = path(body, "params");
    if (params == null) {
      return true; // an error, answered at once
    }
    JsonElement channels = params.get("channels");
    if (channels != null && channels.isJsonArray()) {
      JsonArray a = channels.getAsJsonArray();
      for (int i = 0; i < a.size(); i++) {
        JsonElement c = a.get(i);
        if (c.isJsonPrimitive() && c.getAsJsonPrimitive().isString()
            && !c.getAsString().contains("fuzz-beacon")) {
          a.set(i, new JsonPrimitive(r.nextBoolean() ? BEACON_CHANNEL
              : "[\"fuzz-beacon\", \"pos.longpolling\", \"1\"]"));
        }
      }
      a.add(BEACON_CHANNEL);
    }
    if (r.nextInt(100) < 97) {
      params.add("last", JsonParser.parseString(BEACON_LAST));
      return true;
    }
    return !(channels != null && channels.isJsonArray()); // an error unless channels is an array
  }

  private Request wrongMethod(int index, String path, JsonObject body, SplittableRandom r) {
    String method = METHODS[r.nextInt(METHODS.length)];
    boolean withBody = r.nextBoolean() && !"HEAD".equals(method);
    List<String> h = baseHeaders(r);
    if ("OPTIONS".equals(method) && r.nextBoolean()) {
      h.add("Access-Control-Request-Headers: content-type"); // no -Method: not a preflight
    }
    return request(index, "method", method, r.nextInt(4) == 0 ? oddPath(path, r) : path, h,
        withBody ? body.toString().getBytes(StandardCharsets.UTF_8) : new byte[0],
        withBody ? framing(r) : Framing.NONE, true, false);
  }

  private Request preflight(int index, String path, SplittableRandom r) {
    List<String> h = new ArrayList<>();
    h.add("Origin: " + (r.nextInt(5) == 0 ? "null" : "https://odoo.example.com"));
    h.add("Access-Control-Request-Method: " + (r.nextInt(5) == 0 ? "PUT" : "POST"));
    h.add("Access-Control-Request-Headers: content-type" + (r.nextBoolean() ? ", x-debug-mode" : ""));
    if (r.nextBoolean()) {
      h.add("Access-Control-Request-Private-Network: true");
    }
    return new Request(index, "preflight", "OPTIONS", path, h, new byte[0], Framing.NONE, true,
        true, false, null);
  }

  private Request headerVariant(int index, String path, JsonObject body, SplittableRandom r) {
    boolean steered = !isPoll(path) || steerPoll(body, r);
    List<String> h = baseHeaders(r);
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    Framing framing = framing(r);
    for (int n = 1 + r.nextInt(2); n > 0; n--) {
      switch (r.nextInt(12)) {
        case 0 -> {
          h.removeIf(x -> x.startsWith("Content-Type"));
          if (r.nextInt(4) != 0) {
            h.add("Content-Type: " + CONTENT_TYPES[r.nextInt(CONTENT_TYPES.length)]);
          }
        }
        case 1 -> h.add("X-Debug-Mode: " + (r.nextBoolean() ? "1" : "assets"));
        case 2 -> h.add("phantomtest: slowConnection");
        case 3 -> h.add("Cookie: session_id=0123456789abcdef; frontend_lang=fr_FR");
        case 4 -> h.add("Expect: 100-continue");
        case 5 -> h.add("Connection: close");
        case 6 -> {
          h.add("\u0000HTTP/1.0");
          framing = Framing.CONTENT_LENGTH;
          if (r.nextBoolean()) {
            h.add("Connection: keep-alive");
          }
        }
        case 7 -> h.add("Accept: " + (r.nextBoolean() ? "text/html" : "text/plain"));
        case 8 -> h.add("Content-Encoding: gzip");
        case 9 -> h.add("X-Long: " + "v".repeat(1 + r.nextInt(4000)));
        case 10 -> {
          for (int i = r.nextInt(60); i > 0; i--) {
            h.add("X-Many-" + i + ": " + i);
          }
        }
        default -> h.add("Origin: " + (r.nextBoolean() ? "null" : "https://evil.example"));
      }
    }
    return request(index, "header", "POST", path, h, bytes, framing, true, isPoll(path) && !steered);
  }

  private Request oversized(int index, String path, JsonObject body, SplittableRandom r) {
    int size = maxBodyBytes + 1 + r.nextInt(r.nextBoolean() ? 16 : maxBodyBytes / 4);
    String head = "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":1,\"params\":{\"pad\":\"";
    byte[] all = new byte[size];
    java.util.Arrays.fill(all, (byte) 'a');
    byte[] h = head.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(h, 0, all, 0, h.length);
    all[size - 3] = '"';
    all[size - 2] = '}';
    all[size - 1] = '}';
    return request(index, "oversize", "POST", path, baseHeaders(r), all,
        r.nextInt(3) == 0 ? Framing.CHUNKED : Framing.CONTENT_LENGTH, true, false);
  }

  /** Paths a misconfigured or hostile client may ask for. */
  private static String oddPath(String path, SplittableRandom r) {
    String[] odd = {"/" + path, "//" + path.substring(1).replace("/", "//"), path + "/",
        path + "?x=1", path + "?debug=assets&x=%00", path + ";jsessionid=1",
        path.toUpperCase(java.util.Locale.ROOT), "/longpolling/send", "/pos_multi_session_sync/nope",
        "/", "/%00", path + "%00", path.replace("/poll", "%2Fpoll").replace("/update", "%2Fupdate"),
        "/longpolling/%2e%2e/longpolling/poll", "/longpolling/../longpolling/poll",
        "/./longpolling/poll", "/%6Congpolling/poll", path + "%20", "/%C3%A4", "/%FF", "/%",
        "/%zz", "/\u00e4", "/a/" + "x".repeat(3000), "/" + "y".repeat(20_000),
        path + "?" + "q=" + "z".repeat(2000), "/web/webclient/version_info",
        "/pos_multi_session_sync/update/..", "/longpolling/poll%2F", "/longpolling/\u0000poll"};
    return odd[r.nextInt(odd.length)];
  }

  /** Bytes that are not a well-formed HTTP request (any answer but a 5xx is fine). */
  private Request garbage(int index, String path, JsonObject body, SplittableRandom r) {
    byte[] json = body.toString().getBytes(StandardCharsets.UTF_8);
    String ok = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    byte[] raw = switch (r.nextInt(10)) {
      case 0 -> {
        byte[] b = new byte[1 + r.nextInt(2048)];
        r.nextBytes(b);
        yield b;
      }
      case 1 -> concat(bytes(ok + "Content-Length: abc\r\n\r\n"), json);
      case 2 -> concat(bytes(ok + "Content-Length: 5\r\nContent-Length: 7\r\n\r\n"), json);
      case 3 -> concat(bytes(ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\n"), json);
      case 4 -> concat(bytes("POST " + path + " HTTP/1.1\r\nContent-Length: " + json.length
          + "\r\n\r\n"), json); // HTTP/1.1 without Host
      case 5 -> concat(bytes(ok + "Bad Header Line\r\nContent-Length: " + json.length + "\r\n\r\n"),
          json);
      case 6 -> bytes("POST " + path + " HTTP/9.9\r\nHost: x\r\n\r\n");
      case 7 -> concat(bytes(ok + "X-Big: " + "h".repeat(20_000) + "\r\nContent-Length: "
          + json.length + "\r\n\r\n"), json);
      case 8 -> concat(bytes(ok + "Content-Length: " + (json.length + 100) + "\r\n\r\n"), json);
      default -> bytes("GET\u0000/ HTTP/1.1\r\n\r\n");
    };
    return new Request(index, "garbage", "?", "?", List.of(), new byte[0], Framing.NONE, false,
        false, false, raw);
  }

  private static Request request(int index, String kind, String method, String target,
      List<String> headers, byte[] body, Framing framing, boolean wellFormed, boolean mayPark) {
    return new Request(index, kind, method, target, headers, body, framing, wellFormed, false,
        mayPark, null);
  }

  // --- bytes ------------------------------------------------------------------------------

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void write(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static byte[] replaceAscii(byte[] text, String what, String with) {
    return replaceAscii(text, what, with.getBytes(StandardCharsets.UTF_8));
  }

  /** Replaces every occurrence of the ASCII string {@code what} in {@code text} with bytes. */
  static byte[] replaceAscii(byte[] text, String what, byte[] with) {
    byte[] w = what.getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream out = null;
    int copied = 0;
    for (int i = 0; i + w.length <= text.length; i++) {
      if (text[i] == w[0] && java.util.Arrays.equals(text, i, i + w.length, w, 0, w.length)) {
        if (out == null) {
          out = new ByteArrayOutputStream(text.length + 16);
        }
        out.write(text, copied, i - copied);
        out.writeBytes(with);
        i += w.length - 1;
        copied = i + 1;
      }
    }
    if (out == null) {
      return text;
    }
    out.write(text, copied, text.length - copied);
    return out.toByteArray();
  }

  /** Printable form of some bytes for a report: control and non-ASCII bytes escaped. */
  static String shorten(byte[] b, int max) {
    StringBuilder sb = new StringBuilder();
    int n = Math.min(b.length, max);
    for (int i = 0; i < n; i++) {
      int c = b[i] & 0xFF;
      if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < 0x20 || c >= 0x7F) {
        sb.append(String.format("\\x%02X", c));
      } else {
        sb.append((char) c);
      }
    }
    if (b.length > max) {
      sb.append("…(").append(b.length).append(" bytes)");
    }
    return sb.toString();
  }
}
