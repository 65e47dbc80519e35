package io.possync.e2e;

import static org.assertj.core.api.Assertions.fail;

import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;

/**
 * How the reference's notification ids map to PosSync's. Absolute ids may differ (PosSync may
 * start elsewhere or publish notifications the reference did not); their order may not. The map
 * is learnt from observed answers only.
 *
 * <p>Keys are reference <em>positions</em>: a reference id, or a fraction between two reference
 * ids for a notification only PosSync publishes (e.g. 20.1 for one published after reference id
 * 20 and before 21).
 */
final class NotificationIds {
  private record Seen(long id, String step) {}

  private final TreeMap<BigDecimal, Seen> seen = new TreeMap<>();

  /**
   * The PosSync id to send as {@code last} for a reference {@code last}: the learnt id if that
   * position was seen; otherwise piecewise, with the offset of the highest seen reference id
   * below it (none seen: unchanged, so {@code 0} stays {@code 0}).
   */
  long translate(BigDecimal reference) {
    if (reference.signum() == 0) {
      return 0;
    }
    Seen exact = seen.get(reference);
    if (exact != null) {
      return exact.id;
    }
    for (Map.Entry<BigDecimal, Seen> e : seen.headMap(reference, false).descendingMap()
        .entrySet()) {
      if (isWhole(e.getKey())) {
        return reference.add(BigDecimal.valueOf(e.getValue().id).subtract(e.getKey()))
            .longValueExact();
      }
    }
    return reference.longValueExact();
  }

  /**
   * Records that {@code position} was delivered as PosSync id {@code id}, checking that a
   * position always has the same id and that PosSync ids are ordered like the positions across
   * every answer seen so far.
   */
  void learn(BigDecimal position, long id, String label) {
    Seen before = seen.get(position);
    if (before != null) {
      if (before.id != id) {
        fail(label + ": reference notification " + position.toPlainString() + " came as PosSync id "
            + before.id + " in " + before.step + " but as " + id + " now");
      }
      return;
    }
    Map.Entry<BigDecimal, Seen> lower = seen.lowerEntry(position);
    if (lower != null && lower.getValue().id >= id) {
      fail(label + ": reference notification " + position.toPlainString() + " came as PosSync id "
          + id + ", not after reference notification " + lower.getKey().toPlainString()
          + " (PosSync id " + lower.getValue().id + ", seen in " + lower.getValue().step + ")");
    }
    Map.Entry<BigDecimal, Seen> higher = seen.higherEntry(position);
    if (higher != null && higher.getValue().id <= id) {
      fail(label + ": reference notification " + position.toPlainString() + " came as PosSync id "
          + id + ", not before reference notification " + higher.getKey().toPlainString()
          + " (PosSync id " + higher.getValue().id + ", seen in " + higher.getValue().step + ")");
    }
    seen.put(position, new Seen(id, label.split(" ", 2)[0]));
  }

  private static boolean isWhole(BigDecimal d) {
    return d.stripTrailingZeros().scale() <= 0;
  }
}
