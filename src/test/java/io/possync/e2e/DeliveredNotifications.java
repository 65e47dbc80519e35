package io.possync.e2e;

import com.google.gson.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every notification the replay has seen delivered, per channel, in reference order. Some
 * answers are defined by what a terminal received before (S31).
 */
final class DeliveredNotifications {
  private final Map<String, TreeMap<BigDecimal, JsonObject>> byChannel = new HashMap<>();

  /** Records a delivered notification (as expected, without its id) at its reference position. */
  void record(BigDecimal position, JsonObject notification) {
    JsonObject n = notification.deepCopy();
    n.remove("id");
    byChannel.computeIfAbsent(n.get("channel").getAsString(), c -> new TreeMap<>())
        .put(position, n);
  }

  /**
   * What {@code channel} received so far, in order, each written with its reference position as
   * {@code id} (as an expected answer is written).
   */
  List<JsonObject> on(String channel) {
    List<JsonObject> out = new ArrayList<>();
    byChannel.getOrDefault(channel, new TreeMap<>()).forEach((position, n) -> {
      JsonObject withId = new JsonObject();
      withId.addProperty("id", position);
      n.entrySet().forEach(m -> withId.add(m.getKey(), m.getValue().deepCopy()));
      out.add(withId);
    });
    return out;
  }
}
