package io.possync.sync;

import com.google.gson.JsonElement;
import io.possync.bus.Outgoing;
import java.util.List;

/**
 * What one decision produced: the answer for the caller and the notifications to publish, in
 * the order they must reach the bus.
 */
public record Outcome(JsonElement result, List<Outgoing> notifications) {}
