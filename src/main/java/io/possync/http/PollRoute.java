package io.possync.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.wire.Notification;
import io.possync.bus.Bus;
import io.possync.bus.PollLimitException;
import io.possync.wire.Json;
import io.possync.sync.MultiSessionKey;
import java.util.function.BiPredicate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import io.possync.wire.Python;

/**
 * {@code /longpolling/poll}: Odoo's bus poll (PROTOCOL.md §3.2). A poll with nothing to return is
 * parked in the bus without holding a thread; the future completes on publish or timeout.
 */
final class PollRoute implements Route {
  private final Bus bus;
  private final Duration timeout;
  private final int maxChannels;
  private final RequestLimits limits;
  private final BiPredicate<MultiSessionKey, Long> isTerminalOf;
  private final PollActivity activity;
  private final TrafficHistory traffic;

  /**
   * @param isTerminalOf whether a POS id is registered in a multi-session (token-bound polls
   *                     may only ask the channels of their own terminals)
   * @param activity     records each terminal's last poll (status page)
   * @param traffic      records the fan-out latency of answers (status page)
   */
  PollRoute(Bus bus, Duration timeout, int maxChannels, RequestLimits limits,
      BiPredicate<MultiSessionKey, Long> isTerminalOf, PollActivity activity,
      TrafficHistory traffic) {
    this.bus = bus;
    this.timeout = timeout;
    this.maxChannels = maxChannels;
    this.limits = limits;
    this.isTerminalOf = isTerminalOf;
    this.activity = activity;
    this.traffic = traffic;
  }

  @Override
  public CompletableFuture<String> call(JsonObject params, Caller caller) {
    JsonElement rawChannels = params.get("channels");
    if (rawChannels == null || !rawChannels.isJsonArray()) {
      throw new RpcException(RpcError.invalidParams("parameter 'channels' must be an array"));
    }
    if (rawChannels.getAsJsonArray().size() > maxChannels) {
      throw new RpcException(RpcError.invalidParams("a poll may ask at most " + maxChannels
          + " channels (limits.channels_per_poll)"));
    }
    // Odoo fails the whole poll on a non-string channel; we skip it instead (D12, §4.5).
    List<String> channels = new ArrayList<>();
    JsonArray echoed = new JsonArray();
    for (JsonElement c : rawChannels.getAsJsonArray()) {
      if (c.isJsonPrimitive() && c.getAsJsonPrimitive().isString()) {
        channels.add(c.getAsString());
        echoed.add(c);
      }
    }
    Grant grant = caller.grant();
    for (String c : channels) {
      grant.requireChannel(c, (db, pos) ->
          isTerminalOf.test(new MultiSessionKey(db, grant.multiSessionId()), pos));
    }
    long last = Params.integer(params, "last");
    JsonElement options = params.get("options");
    boolean peek = options != null && options.isJsonObject()
        && Python.truthy(options.getAsJsonObject().get("peek"));
    activity.polled(channels);
    // A first poll (last 0) gets the last 50 s of history and a peek is no delivery: neither
    // says how fast a publication reached a waiting terminal.
    boolean measured = last > 0 && !peek;

    if (!limits.holdPoll(caller.address())) {
      throw new RpcException(RpcError.tooManyPolls("too many polls held for one address"
          + " (limits.held_polls_per_address)"));
    }
    CompletableFuture<String> answer = new CompletableFuture<>();
    Runnable cancel;
    try {
      cancel = bus.poll(channels, last, peek, timeout, notifications -> {
        if (measured && !notifications.isEmpty()) {
          traffic.delivered(notifications.get(notifications.size() - 1).createdAt());
        }
        answer.complete(peek ? peekResult(notifications, echoed) : list(notifications));
      });
    } catch (RuntimeException e) {
      limits.releasePoll(caller.address());
      if (e instanceof PollLimitException) {
        throw new RpcException(RpcError.tooManyPolls(e.getMessage()));
      }
      throw e;
    }
    answer.whenComplete((r, failure) -> {
      limits.releasePoll(caller.address());
      if (failure != null) {
        cancel.run(); // the client went away: unpark now rather than at the timeout
      }
    });
    return answer;
  }

  private static String list(List<Notification> notifications) {
    StringBuilder sb = new StringBuilder(64 + notifications.size() * 256).append('[');
    for (int i = 0; i < notifications.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(notifications.get(i).json());
    }
    return sb.append(']').toString();
  }

  /** Odoo answers a peek with the notifications and the channels it asked for. */
  private static String peekResult(List<Notification> notifications, JsonArray channels) {
    return "{\"notifications\":" + list(notifications) + ",\"channels\":" + Json.write(channels) + "}";
  }
}
