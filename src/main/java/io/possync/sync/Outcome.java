package io.possync.sync;

import com.google.gson.JsonElement;
import io.possync.wire.Outgoing;
import java.util.List;

/**
 * What one decision produced: the answer for the caller, the notifications to publish in the
 * order they must reach the bus, and the state rows to make durable with them.
 */
public record Outcome(JsonElement result, List<Outgoing> notifications, StateChanges changes) {

  /** An outcome that changes no state (a PING's PONG, a refused update). */
  public Outcome(JsonElement result, List<Outgoing> notifications) {
    this(result, notifications, StateChanges.NONE);
  }
}
