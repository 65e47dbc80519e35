package io.possync.http;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.possync.wire.Json;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Parses a JSON-RPC request body (docs/protocol.md §2.1) and renders answers and errors (§2.3–2.4). */
final class JsonRpcBody {
  private static final TypeAdapter<JsonElement> TREE = new Gson().getAdapter(JsonElement.class);

  /** A parsed call: the {@code id} to echo and the {@code params} object. */
  record Call(JsonElement id, JsonObject params) {}

  private JsonRpcBody() {}

  /**
   * Strict UTF-8, strict JSON, bounded depth; the top level must be an object whose
   * {@code params}, when present, is an object. {@code method} and {@code jsonrpc} are ignored,
   * as Odoo ignores them.
   */
  static Call parse(byte[] body, int maxDepth) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw new RpcException(RpcError.badRequest("The request body is not valid UTF-8."));
    }
    JsonElement root;
    try (JsonReader reader = new JsonReader(new StringReader(text))) {
      reader.setStrictness(Strictness.STRICT);
      reader.setNestingLimit(maxDepth);
      root = TREE.read(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new RpcException(RpcError.badRequest("Unexpected data after the JSON value."));
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof RpcException r) {
        throw r;
      }
      throw new RpcException(RpcError.badRequest("The request body is not valid JSON"
          + " (or is nested deeper than " + maxDepth + " levels)."));
    }
    if (root == null || !root.isJsonObject()) {
      throw new RpcException(RpcError.badRequest("The request body must be a JSON-RPC object."));
    }
    JsonObject envelope = root.getAsJsonObject();
    JsonElement id = envelope.has("id") ? envelope.get("id") : JsonNull.INSTANCE;
    JsonElement params = envelope.get("params");
    if (params == null || params.isJsonNull()) {
      return new Call(id, new JsonObject());
    }
    if (!params.isJsonObject()) {
      throw new RpcException(RpcError.invalidParams("params must be an object"), id);
    }
    return new Call(id, params.getAsJsonObject());
  }

  /** The UTF-8 bytes of a JSON answer, whose parts were each written by {@link Json#write}. */
  static byte[] utf8(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code {"jsonrpc":"2.0","id":…,"result":…}} with the result already rendered. */
  static String result(JsonElement id, String resultJson) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + Json.write(id) + ",\"result\":" + resultJson + "}";
  }

  /** Odoo's error envelope; {@code data} is always an object (the client dereferences it). */
  static String error(JsonElement id, RpcError e) {
    JsonObject data = new JsonObject();
    data.addProperty("name", e.name());
    data.addProperty("debug", "");
    data.addProperty("message", e.detail());
    com.google.gson.JsonArray args = new com.google.gson.JsonArray();
    if (!e.name().startsWith("werkzeug.exceptions.")) {
      args.add(e.detail()); // werkzeug's HTTP errors carry no args: Odoo sends [] (S32)
    }
    data.add("arguments", args);
    data.addProperty("exception_type", "internal_error");
    data.add("context", new JsonObject());
    JsonObject error = new JsonObject();
    error.addProperty("code", e.code());
    error.addProperty("message", e.message());
    error.add("data", data);
    return "{\"jsonrpc\":\"2.0\",\"id\":" + Json.write(id) + ",\"error\":" + Json.write(error)
        + "}";
  }
}
