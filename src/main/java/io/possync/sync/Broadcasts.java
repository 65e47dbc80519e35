package io.possync.sync;

import static io.possync.wire.Json.orNull;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.wire.Channel;
import io.possync.wire.Json;
import io.possync.wire.MessageBody;
import io.possync.wire.Outgoing;
import io.possync.wire.Python;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Who gets a multi-session's messages, and in what form: every registered terminal, each copy with
 * that terminal's next {@code message_ID} (docs/protocol.md §5.8), on its own channel.
 */
final class Broadcasts {
  private static final long MESSAGE_ID_PLACEHOLDER = 9_007_199_254_740_993L;

  private final Terminals terminals;

  Broadcasts(Terminals terminals) {
    this.terminals = terminals;
  }

  /**
   * Sends {@code message} to every terminal of the multi-session, the sender included, each copy
   * with that terminal's next {@code message_ID} (§5.8).
   */
  List<Outgoing> toAll(MultiSession ms, JsonObject message, JsonObject data) {
    List<Terminal> recipients = members(ms);
    List<Outgoing> out = new ArrayList<>(recipients.size());
    if (recipients.isEmpty()) {
      return out;
    }
    // Serialized once and kept once: each copy differs only in message_ID, spliced in where the
    // placeholder stands. The placeholder is above 2^53, so a real payload holding it is absurd,
    // but if one does the copies are serialized one by one.
    data.addProperty("message_ID", MESSAGE_ID_PLACEHOLDER);
    String template = Json.write(message);
    String placeholder = Long.toString(MESSAGE_ID_PLACEHOLDER);
    int at = template.indexOf(placeholder);
    MessageBody shared = at >= 0 && at == template.lastIndexOf(placeholder)
        ? MessageBody.spliced(template.substring(0, at),
            template.substring(at + placeholder.length()), recipients.size())
        : null;
    for (Terminal t : recipients) {
      t.messageId++;
      ms.changed(t);
      data.addProperty("message_ID", t.messageId);
      MessageBody body = shared != null ? shared : MessageBody.whole(Json.write(message));
      out.add(new Outgoing(channel(t).text(), body, t.messageId));
    }
    return out;
  }

  /** The terminals whose home is this multi-session, dropping those that moved away. */
  List<Terminal> members(MultiSession ms) {
    List<Terminal> out = new ArrayList<>(ms.members.size());
    Iterator<Long> it = ms.members.iterator();
    while (it.hasNext()) {
      Terminal t = terminals.get(new TerminalKey(ms.key.dbname(), it.next()));
      if (t == null || !t.home.equals(ms.key)) {
        it.remove();
      } else {
        out.add(t);
      }
    }
    return out;
  }

  /** The terminal of the POS that sent {@code message} ({@code data.pos_id}), if registered. */
  Terminal writer(MultiSession ms, JsonObject message) {
    Optional<BigInteger> posId = Python.integer(orNull(message.getAsJsonObject("data")
        .get("pos_id")));
    if (posId.isEmpty() || posId.get().bitLength() > 53) {
      return null;
    }
    return terminals.get(new TerminalKey(ms.key.dbname(), posId.get().longValue()));
  }

  /** The sending device: its session and login, as the client compares them. */
  static String device(JsonObject message) {
    return Json.write(orNull(message.get("session_id"))) + "/"
        + Json.write(orNull(message.get("login_number")));
  }

  static Channel channel(Terminal t) {
    return Channel.multiSession(t.key.dbname(), t.key.posId());
  }

  /**
   * A {@code sync_all} message (docs/protocol.md §5.6) listing {@code orders}, addressed to the
   * device that sent {@code message} (its session and login).
   */
  static JsonObject syncAllMessage(MultiSession ms, JsonObject message, JsonArray orders,
      long messageId, JsonElement uid) {
    JsonObject payloadData = new JsonObject();
    payloadData.add("orders", orders);
    payloadData.addProperty("message_ID", messageId);
    payloadData.addProperty("order_ID", ms.orderId);
    payloadData.add("uid", uid);
    payloadData.add("login_number", orNull(message.get("login_number")));
    payloadData.add("session_id", orNull(message.get("session_id")));
    JsonObject payload = new JsonObject();
    payload.addProperty("action", "sync_all");
    payload.add("data", payloadData);
    return payload;
  }
}
