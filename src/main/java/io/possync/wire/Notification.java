package io.possync.wire;

/**
 * One published bus notification.
 *
 * @param id        global, strictly increasing id (what pollers send back as {@code last})
 * @param channel   canonical channel string, e.g. {@code ["db","pos.multi_session","1"]}
 * @param createdAt publication time in clock milliseconds (drives retention and the first-poll window)
 * @param json      the serialized {@code {"id":…,"channel":…,"message":…}} object, built once so that
 *                  fan-out to many pollers costs no re-serialization
 */
public record Notification(long id, String channel, long createdAt, String json) {
  /** Heap this notification takes once retained: its text (two bytes a char) and the objects. */
  public long footprint() {
    return 2L * json.length() + 96;
  }

  /** The notification for an id, its {@code {"id":…,"channel":…,"message":…}} text written once. */
  public static Notification of(long id, Outgoing out, long createdAt) {
    return new Notification(id, out.channel(), createdAt,
        "{\"id\":" + id + ",\"channel\":" + Json.quote(out.channel()) + ",\"message\":"
            + out.messageJson() + "}");
  }
}
