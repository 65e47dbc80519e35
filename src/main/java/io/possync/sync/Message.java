package io.possync.sync;

import static io.possync.sync.Fields.clientRevision;
import static io.possync.sync.Fields.optionalId;
import static io.possync.sync.Fields.requireObject;
import static io.possync.sync.Fields.requireString;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.wire.Json;
import java.util.Optional;

/**
 * A checked multi-session message: everything its action will read was validated before any state
 * is touched, so a malformed message neither changes nor creates anything.
 *
 * @param key    the multi-session it is for
 * @param userId the Odoo user who sent it
 * @param action what it asks
 * @param body   the whole message; the rules take ownership and may change it
 * @param data   {@code body.data}
 * @param runId  {@code data.run_ID}, or null for the multi-session's current run (D7)
 */
public record Message(MultiSessionKey key, long userId, Action action, JsonObject body,
    JsonObject data, Long runId) {

  /**
   * Checks an update call's message.
   *
   * @param maxLines most lines one order may carry (limits.lines_per_order)
   * @throws InvalidMessageException naming the first malformed field
   */
  public static Message parse(UpdateRequest request, int maxLines) {
    JsonObject message = request.message();
    Action action = Action.of(requireString(message, "action", "message.action"));
    JsonObject data = requireObject(message, "data", "message.data");
    Long runId = optionalId(data, "run_ID");
    switch (action) {
      case UPDATE_ORDER -> {
        requireString(data, "uid", "message.data.uid");
        clientRevision(data);
        requireLineCount(data, maxLines);
      }
      case SYNC_ALL -> Fields.requireId(data.get("pos_id"), "message.data.pos_id");
      case REMOVE_ORDER -> {
        requireString(data, "uid", "message.data.uid");
        clientRevision(data);
        JsonObject paid = paidOffline(data);
        if (paid != null) {
          JsonObject paidData = paid.getAsJsonObject("data");
          requireString(paidData, "uid", "order_data.data.uid");
          clientRevision(paidData);
          optionalId(paidData, "run_ID");
          requireLineCount(paidData, maxLines);
        }
      }
      case OTHER -> { }
    }
    return new Message(new MultiSessionKey(request.dbname(), request.multiSessionId()),
        request.userId(), action, message, data, runId);
  }

  /** The POS a {@code sync_all} registers, whose stored terminal must be at hand to decide it. */
  public Optional<TerminalKey> registers() {
    if (action != Action.SYNC_ALL) {
      return Optional.empty();
    }
    return Optional.of(new TerminalKey(key.dbname(),
        Fields.requireId(data.get("pos_id"), "message.data.pos_id")));
  }

  private static void requireLineCount(JsonObject data, int maxLines) {
    JsonElement lines = data.get("lines");
    if (lines != null && lines.isJsonArray() && lines.getAsJsonArray().size() > maxLines) {
      throw new InvalidMessageException("an order may have at most " + maxLines
          + " lines (limits.lines_per_order)");
    }
  }

  /** Parses {@code data.order_data} (a JSON string {@code {"id":…,"data":{…}}}), if present. */
  static JsonObject paidOffline(JsonObject data) {
    JsonElement raw = Json.get(data, "order_data");
    if (raw == null || (raw.isJsonPrimitive() && raw.getAsJsonPrimitive().isBoolean()
        && !raw.getAsBoolean())) {
      return null;
    }
    JsonElement parsed;
    try {
      parsed = raw.isJsonPrimitive() && raw.getAsJsonPrimitive().isString()
          ? JsonParser.parseString(raw.getAsString()) : raw;
    } catch (RuntimeException e) {
      throw new InvalidMessageException("message.data.order_data is not valid JSON");
    }
    if (!parsed.isJsonObject() || !parsed.getAsJsonObject().has("data")
        || !parsed.getAsJsonObject().get("data").isJsonObject()) {
      throw new InvalidMessageException("message.data.order_data must hold an object with data");
    }
    return parsed.getAsJsonObject();
  }
}
