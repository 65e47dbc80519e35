package io.possync.sync;

import com.google.gson.JsonElement;
import io.possync.wire.Outgoing;
import java.util.List;

/**
 * What one decision produced: the answer for the caller, the notifications to publish in the
 * order they must reach the bus, the state rows to make durable with them, and how it was decided.
 */
public record Outcome(JsonElement result, List<Outgoing> notifications, StateChanges changes,
    Verdict verdict) {

  /** An applied outcome that changes no state (a PING's PONG). */
  public Outcome(JsonElement result, List<Outgoing> notifications) {
    this(result, notifications, StateChanges.NONE, Verdict.APPLIED);
  }
}
