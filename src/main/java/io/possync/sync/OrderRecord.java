package io.possync.sync;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayDeque;
import io.possync.wire.Json;

/** One order as the server keeps it; mutable, guarded by its multi-session's lock. */
final class OrderRecord {
  final String uid;
  /** The last accepted full message ({@code action}, {@code data}, …), unknown keys intact. */
  JsonObject message;
  JsonElement nonce;
  OrderState state;
  long revision;
  long runId;
  /** Length of the message's JSON text when last written (the cache weighs by it). */
  long bytes;
  /** The message's JSON text when last written, or null if it was not written yet. */
  String text;
  /**
   * Earlier accepted messages as their JSON text, oldest first: the bases a late update is
   * merged against. Text, not trees: several times smaller, and read only when a merge needs it.
   * In memory on one node (a restart starts without them), also in a cluster's store (loaded
   * with the order), and bounded by the service.
   */
  private final ArrayDeque<Kept> history = new ArrayDeque<>();
  /** JSON text length of {@link #history}, for the cache's weight. */
  long historyBytes;
  /**
   * The revision of the last copy sent to each device (session/login) that wrote a merged
   * update; memory only, one entry per device that ever had one.
   */
  final java.util.Map<String, Long> copiesSent = new java.util.HashMap<>();

  /** One earlier revision's message, as JSON text. */
  private record Kept(long revision, String text) {
    JsonObject message() {
      return JsonParser.parseString(text).getAsJsonObject();
    }
  }

  OrderRecord(String uid, JsonObject message, JsonElement nonce, OrderState state, long revision,
      long runId) {
    this.uid = uid;
    this.message = message;
    this.nonce = nonce;
    this.state = state;
    this.revision = revision;
    this.runId = runId;
  }

  /** Whether the message accepted at {@code rev} is the current one or still kept. */
  boolean keeps(long rev) {
    return rev == revision || history.stream().anyMatch(k -> k.revision() == rev);
  }

  /** One accepted revision's message. */
  record Version(long revision, JsonObject message) {}

  /** Every kept revision, each parsed once, oldest first, then the current one. */
  java.util.List<Version> versions() {
    java.util.List<Version> out = new java.util.ArrayList<>(history.size() + 1);
    for (Kept k : history) {
      out.add(new Version(k.revision(), k.message()));
    }
    out.add(new Version(revision, message));
    return out;
  }

  /**
   * Keeps the current message as a base for later merges, before it is replaced; at most
   * {@code max} are kept. Returns the change of {@link #historyBytes}.
   */
  long keepCurrent(int max) {
    long before = historyBytes;
    if (max > 0) {
      String current = text != null ? text : Json.write(message);
      history.addLast(new Kept(revision, current));
      historyBytes += current.length();
    }
    while (history.size() > max) {
      historyBytes -= history.removeFirst().text().length();
    }
    return historyBytes - before;
  }

  /**
   * Keeps an earlier revision's message as loaded from a store that keeps bases, after those
   * already kept (bases are loaded oldest first). Returns the change of {@link #historyBytes}.
   */
  long keepBase(long rev, String text) {
    history.addLast(new Kept(rev, text));
    historyBytes += text.length();
    return text.length();
  }

  /** Drops every kept base (the order is gone); returns the change of {@link #historyBytes}. */
  long forgetHistory() {
    long freed = historyBytes;
    history.clear();
    historyBytes = 0;
    return -freed;
  }

  OrderRow toRow(MultiSessionKey ms) {
    return new OrderRow(new OrderKey(ms, uid), Json.write(message),
        nonce == null || nonce.isJsonNull() ? null : Json.write(nonce), state, revision, runId);
  }

  static OrderRecord fromRow(OrderRow row) {
    OrderRecord o = new OrderRecord(row.key().uid(),
        JsonParser.parseString(row.message()).getAsJsonObject(),
        row.nonceJson() == null ? null : JsonParser.parseString(row.nonceJson()),
        row.state(), row.revision(), row.runId());
    o.bytes = row.message().length();
    o.text = row.message();
    return o;
  }
}
