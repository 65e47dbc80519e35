package io.possync.http;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether one answer of the fuzzed server is a documented one (docs/protocol.md §2.3–2.6,
 * {@code docs/protocol-decisions.md}): a JSON-RPC {@code result} with HTTP 200, or Odoo's error
 * envelope with HTTP 200 or 400/404/405/413 (414/431 when Jetty refuses the request line or
 * headers) with the code equal to the status and an error name the
 * server documents for that status, 204 for a CORS preflight, {@code Access-Control-Allow-Origin}
 * on every answer. Where the request itself decides the answer (a body over the limit, a body that
 * is not strict JSON, a method other than POST) the status is predicted and checked too. On kept
 * connections: an answer ends its connection exactly when it should, and never carries another
 * request's id.
 */
final class FuzzOracle {
  /** Error names by HTTP status, as {@link RpcError} and the decisions document define them. */
  static final Map<Integer, Set<String>> NAMES = Map.of(
      200, Set.of("possync.exceptions.InvalidParams", "possync.exceptions.TooManyPolls"),
      400, Set.of("werkzeug.exceptions.BadRequest"),
      404, Set.of("werkzeug.exceptions.NotFound"),
      405, Set.of("werkzeug.exceptions.MethodNotAllowed"),
      413, Set.of("werkzeug.exceptions.RequestEntityTooLarge"),
      // Jetty's own refusals before routing: a request line or headers over its limits.
      414, Set.of("werkzeug.exceptions.RequestURITooLarge"),
      431, Set.of("werkzeug.exceptions.RequestHeaderFieldsTooLarge"));
  /** Documented too, but only a server or disk fault produces them: the fuzzer must not. */
  static final Set<String> FAULTS =
      Set.of("possync.exceptions.ServerError", "possync.exceptions.StoreUnavailable");

  private static final long MAX_SAFE = (1L << 53) - 1;
  private static final TypeAdapter<JsonElement> TREE =
      new com.google.gson.Gson().getAdapter(JsonElement.class);

  /** In a run without valid credentials, the access refusal too (RpcError.forbidden). */
  private static final Set<String> FORBIDDEN = Set.of("werkzeug.exceptions.Forbidden");

  private final int maxBodyBytes;
  private final int maxDepth;
  private final boolean refused;

  /**
   * @param refused whether no request carries valid credentials (auth.mode=token without a
   *                valid token): then every well-formed POST to a clean path is refused with
   *                403 before its body is read, and no answer may be a result
   */
  FuzzOracle(int maxBodyBytes, int maxDepth, boolean refused) {
    this.maxBodyBytes = maxBodyBytes;
    this.maxDepth = maxDepth;
    this.refused = refused;
  }

  /** What is wrong with the answer, or an empty list. {@code body} is the body as sent. */
  List<String> check(FuzzInputs.Request req, byte[] body, RawHttp.Answer a) {
    List<String> problems = new ArrayList<>();
    if (a.status() >= 500) {
      problems.add("HTTP " + a.status());
    }
    if (a.header("access-control-allow-origin") == null) {
      problems.add("no Access-Control-Allow-Origin");
    }
    checkConnection(req, a, problems);
    if (req.preflight() && (clean(req.target()) || a.status() == 204)) {
      checkPreflight(req, a, problems);
      return problems;
    }
    if (!NAMES.containsKey(a.status()) && !(refused && a.status() == 403)) {
      problems.add("undocumented status " + a.statusLine());
      return problems;
    }
    String type = a.header("content-type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      problems.add("Content-Type " + type);
    }
    Integer expected = expectedStatus(req, body);
    if (expected != null && expected != a.status()) {
      problems.add("expected HTTP " + expected + ", got " + a.status());
    }
    if (req.head()) {
      return problems; // headers only
    }
    JsonElement answer = strictParse(a.body(), Integer.MAX_VALUE);
    if (answer == null || !answer.isJsonObject()) {
      problems.add("the body is not a JSON object");
      return problems;
    }
    JsonObject o = answer.getAsJsonObject();
    if (!o.has("jsonrpc") || !"\"2.0\"".equals(o.get("jsonrpc").toString())) {
      problems.add("jsonrpc is not \"2.0\"");
    }
    if (!o.has("id")) {
      problems.add("no id");
    }
    boolean result = o.has("result");
    boolean error = o.has("error");
    if (result == error) {
      problems.add(result ? "both result and error" : "neither result nor error");
      return problems;
    }
    if (result && refused) {
      problems.add("a result without valid credentials");
    } else if (result) {
      if (a.status() != 200) {
        problems.add("a result with HTTP " + a.status());
      }
      checkResult(req, o.get("result"), problems);
    } else {
      checkError(a.status(), o.get("error"), problems);
    }
    JsonElement sent = strictParse(body, maxDepth);
    JsonElement id = sent != null && sent.isJsonObject() && sent.getAsJsonObject().has("id")
        ? sent.getAsJsonObject().get("id") : JsonNull.INSTANCE;
    if (!refused && (a.status() == 200 || a.status() == 404) && "POST".equals(req.method())) {
      // The request was read: its id is echoed (null when it has none).
      if (o.has("id") && !id.equals(o.get("id"))) {
        problems.add("id " + shorten(o.get("id")) + " does not echo the request's " + shorten(id));
      }
    } else if (o.has("id") && !o.get("id").isJsonNull() && !id.equals(o.get("id"))) {
      // Answered without reading the call (a refusal, a body that is not JSON): no id, or its own.
      // Another request's id means the answer went to the wrong request on a kept connection.
      problems.add("id " + shorten(o.get("id")) + " is not the request's " + shorten(id));
    }
    return problems;
  }

  /**
   * Connections are kept alive (docs/jetty.md): an answer may end its connection only when it is
   * a refusal (403, 405, 413, 429, a bad path: JettyHardening), a request Jetty itself refused
   * (414, 431), or when the client asked for it; a refusal must end it and say so.
   */
  private static void checkConnection(FuzzInputs.Request req, RawHttp.Answer a,
      List<String> problems) {
    boolean closes = a.serverClosed() || "close".equalsIgnoreCase(a.header("connection"));
    if (clientCloses(req)) {
      return;
    }
    int s = a.status();
    boolean mustClose = CLOSING.contains(s);
    boolean mayClose = mustClose || (s == 400 && !clean(req.target()));
    if (closes && !mayClose) {
      problems.add("the connection was closed after a " + s + " that is no refusal");
    } else if (!closes && mustClose) {
      problems.add("the connection was kept open after the refusal " + s);
    }
  }

  /** Statuses whose answer ends its connection: refusals, and Jetty's own. */
  static final Set<Integer> CLOSING = Set.of(403, 405, 413, 414, 429, 431);

  /** Whether the request itself ends its connection (Connection: close, plain HTTP/1.0). */
  static boolean clientCloses(FuzzInputs.Request req) {
    return req.headers().contains("Connection: close")
        || (req.headers().contains("\u0000HTTP/1.0")
            && !req.headers().contains("Connection: keep-alive"));
  }

  /**
   * The status the request itself decides, or null when the route decides: 405 for another
   * method than POST, 413 over the body limit, 400 when the body is not a strict-JSON object.
   */
  private Integer expectedStatus(FuzzInputs.Request req, byte[] body) {
    if (!clean(req.target())) {
      return null; // Jetty may refuse the path itself (400, 414) before the method is looked at
    }
    if (!req.method().equalsIgnoreCase("POST")) {
      return 405;
    }
    if (!"POST".equals(req.method())) {
      return null; // "post": a method Jetty may or may not fold to POST
    }
    if (refused) {
      // Refused on the path before the body is read, unless its declared length is too large.
      return body.length <= maxBodyBytes ? Integer.valueOf(403)
          : req.framing() == FuzzInputs.Framing.CONTENT_LENGTH ? Integer.valueOf(413) : null;
    }
    if (body.length > maxBodyBytes) {
      return 413;
    }
    JsonElement parsed = strictParse(body, maxDepth);
    if (parsed == null || !parsed.isJsonObject()) {
      return 400;
    }
    String target = req.target();
    boolean known = target.equals(FuzzInputs.UPDATE) || target.equals(FuzzInputs.POLL)
        || target.equals(FuzzInputs.PING);
    return known ? 200 : null;
  }

  /** A path Jetty passes on to the handlers unchanged: plain ASCII, nothing encoded, short. */
  static boolean clean(String target) {
    return target.length() < 4096 && target.matches("/[A-Za-z0-9_/.;?=&-]*")
        && !target.contains("/..") && !target.contains("/./");
  }

  private static void checkPreflight(FuzzInputs.Request req, RawHttp.Answer a,
      List<String> problems) {
    if (a.status() != 204) {
      problems.add("preflight answered " + a.statusLine());
      return;
    }
    String methods = a.header("access-control-allow-methods");
    if (methods == null || !methods.contains("POST")) {
      problems.add("preflight Allow-Methods " + methods);
    }
    String headers = a.header("access-control-allow-headers");
    if (headers == null || !headers.toLowerCase(Locale.ROOT).contains("content-type")
        || !headers.toLowerCase(Locale.ROOT).contains("x-debug-mode")) {
      problems.add("preflight Allow-Headers " + headers);
    }
    boolean pna = req.headers().contains("Access-Control-Request-Private-Network: true");
    if (pna && !"true".equals(a.header("access-control-allow-private-network"))) {
      problems.add("private network preflight not allowed");
    }
    if (a.body().length != 0) {
      problems.add("preflight answer has a body");
    }
  }

  private static void checkResult(FuzzInputs.Request req, JsonElement result,
      List<String> problems) {
    switch (req.target()) {
      case FuzzInputs.UPDATE -> {
        // The client dereferences res.action unconditionally (§2.3): always an object, but for
        // an unknown action, answered 1 like the reference (kept on purpose, docs/protocol.md).
        if (!result.isJsonObject() && !"1".equals(result.toString())) {
          problems.add("update result is not an object: " + shorten(result));
        }
      }
      case FuzzInputs.PING -> {
        if (!"1".equals(result.toString())) {
          problems.add("ping result " + shorten(result));
        }
      }
      case FuzzInputs.POLL -> {
        JsonElement list = result.isJsonObject() ? result.getAsJsonObject().get("notifications")
            : result;
        if (list == null || !list.isJsonArray()) {
          problems.add("poll result is not a list: " + shorten(result));
          return;
        }
        for (JsonElement n : list.getAsJsonArray()) {
          if (!n.isJsonObject() || !n.getAsJsonObject().has("message")
              || !n.getAsJsonObject().has("channel")
              || !n.getAsJsonObject().get("channel").isJsonPrimitive()) {
            problems.add("notification of the wrong shape: " + shorten(n));
            return;
          }
          JsonElement id = n.getAsJsonObject().get("id");
          if (id == null || !id.isJsonPrimitive() || !id.getAsJsonPrimitive().isNumber()
              || id.getAsBigDecimal().compareTo(java.math.BigDecimal.ONE) < 0
              || id.getAsBigDecimal().compareTo(java.math.BigDecimal.valueOf(MAX_SAFE)) > 0) {
            problems.add("notification id not in 1..2^53-1: " + shorten(id));
            return;
          }
        }
      }
      default -> { }
    }
  }

  private static void checkError(int status, JsonElement e, List<String> problems) {
    if (!e.isJsonObject()) {
      problems.add("error is not an object");
      return;
    }
    JsonObject error = e.getAsJsonObject();
    JsonElement code = error.get("code");
    if (code == null || !code.isJsonPrimitive() || !code.getAsJsonPrimitive().isNumber()
        || code.getAsInt() != status) {
      problems.add("error.code " + code + " with HTTP " + status);
    }
    if (!isString(error.get("message"))) {
      problems.add("error.message missing");
    }
    JsonElement d = error.get("data");
    if (d == null || !d.isJsonObject()) {
      problems.add("error.data is not an object"); // the client dereferences it (§2.5)
      return;
    }
    JsonObject data = d.getAsJsonObject();
    String name = isString(data.get("name")) ? data.get("name").getAsString() : null;
    if (name != null && FAULTS.contains(name)) {
      problems.add("server fault " + name + ": " + data.get("message"));
    } else if (name == null || !(status == 403 ? FORBIDDEN : NAMES.get(status)).contains(name)) {
      problems.add("error name " + name + " is not documented for HTTP " + status);
    }
    if (!isString(data.get("message"))) {
      problems.add("error.data.message missing");
    }
    if (data.get("arguments") == null || !data.get("arguments").isJsonArray()) {
      problems.add("error.data.arguments is not a list");
    }
    if (!isString(data.get("exception_type"))) {
      problems.add("error.data.exception_type missing");
    }
  }

  private static boolean isString(JsonElement e) {
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
  }

  /** Strict UTF-8 and strict JSON of at most {@code depth} levels, as the server reads; else null. */
  static JsonElement strictParse(byte[] bytes, int depth) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    try (JsonReader reader = new JsonReader(new StringReader(text))) {
      reader.setStrictness(Strictness.STRICT);
      reader.setNestingLimit(depth);
      JsonElement root = TREE.read(reader);
      return reader.peek() == JsonToken.END_DOCUMENT ? root : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static String shorten(JsonElement e) {
    String s = String.valueOf(e);
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}
