package io.possync.sync;

import com.google.gson.JsonElement;
import io.possync.wire.Outgoing;
import java.util.List;

/** What one action decided, before the rows it changed are collected into an {@link Outcome}. */
record Decided(JsonElement result, List<Outgoing> notifications, Verdict verdict) {
  Decided(JsonElement result, List<Outgoing> notifications) {
    this(result, notifications, Verdict.APPLIED);
  }
}
