package io.possync.wire;

/**
 * One published bus notification. Its JSON text ({@code {"id":…,"channel":…,"message":…}}) is
 * never held whole: it is written from these parts straight into a poll's answer, and the message
 * body is shared by every copy of a broadcast ({@link MessageBody}).
 *
 * @param id        global, strictly increasing id (what pollers send back as {@code last})
 * @param channel   canonical channel string, e.g. {@code ["db","pos.multi_session","1"]}
 * @param createdAt publication time in clock milliseconds (drives retention and the first-poll
 *                  window)
 * @param body      the message, shared with the other copies of its broadcast
 * @param messageId this copy's {@code message_ID} when the body is spliced
 */
public record Notification(long id, String channel, long createdAt, MessageBody body,
    long messageId) {

  /** The notification for an id. */
  public static Notification of(long id, Outgoing out, long createdAt) {
    return new Notification(id, out.channel(), createdAt, out.body(), out.messageId());
  }

  /**
   * The notification whose whole JSON text is {@code json}, as stores of earlier versions kept it,
   * or empty if the text is not one PosSync wrote for this id and channel.
   */
  public static java.util.Optional<Notification> fromText(long id, String channel, long createdAt,
      String json) {
    String head = head(id, channel);
    if (!json.startsWith(head) || !json.endsWith("}") || json.length() < head.length() + 2) {
      return java.util.Optional.empty();
    }
    String message = json.substring(head.length(), json.length() - 1);
    return java.util.Optional.of(new Notification(id, channel, createdAt,
        MessageBody.whole(message), 0));
  }

  private static String head(long id, String channel) {
    return "{\"id\":" + id + ",\"channel\":" + Json.quote(channel) + ",\"message\":";
  }

  /** Appends the notification's JSON text to {@code sb}. */
  public void appendTo(StringBuilder sb) {
    sb.append("{\"id\":").append(id).append(",\"channel\":").append(Json.quote(channel))
        .append(",\"message\":");
    body.appendTo(sb, messageId);
    sb.append('}');
  }

  /** The notification's JSON text. */
  public String json() {
    StringBuilder sb = new StringBuilder(96 + body.before().length());
    appendTo(sb);
    return sb.toString();
  }

  /** The message's JSON text. */
  public String messageJson() {
    return body.text(messageId);
  }

  /**
   * Heap this notification takes once retained: its share of the body (two bytes a char; a
   * broadcast's body counts once for all its copies), its channel and the objects.
   */
  public long footprint() {
    return 2L * (body.shareOfChars() + channel.length()) + 128;
  }
}
