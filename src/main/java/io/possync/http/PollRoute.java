package io.possync.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.pipeline.Pipeline;
import io.possync.sync.MultiSessionKey;
import io.possync.wire.Json;
import io.possync.wire.Notification;
import io.possync.wire.Python;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /longpolling/poll}: Odoo's bus poll (docs/protocol.md §3.2). A poll with nothing to return is
 * parked in the bus without holding a thread; the future completes on publish or timeout.
 */
final class PollRoute implements Route {
  private final Pipeline pipeline;
  private final Duration timeout;
  private final int maxChannels;
  private final RequestLimits limits;
  private final PollActivity activity;
  private final TrafficHistory traffic;

  /**
   * @param activity     records each terminal's last poll (status page)
   * @param traffic      records the fan-out latency of answers (status page)
   */
  PollRoute(Pipeline pipeline, Duration timeout, int maxChannels, RequestLimits limits,
      PollActivity activity, TrafficHistory traffic) {
    this.pipeline = pipeline;
    this.timeout = timeout;
    this.maxChannels = maxChannels;
    this.limits = limits;
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
    // Token-bound polls may only ask the channels of their own multi-session's terminals.
    for (String c : channels) {
      grant.requireChannel(c, (db, pos) ->
          pipeline.isTerminalOf(new MultiSessionKey(db, grant.multiSessionId()), pos));
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
      cancel = pipeline.poll(channels, last, peek, timeout, notifications -> {
        if (measured && !notifications.isEmpty()) {
          traffic.delivered(notifications.get(notifications.size() - 1).createdAt());
        }
        answer.complete(peek ? peekResult(notifications, echoed) : list(notifications));
      });
    } catch (RuntimeException e) {
      limits.releasePoll(caller.address());
      if (e instanceof Pipeline.TooManyPolls) {
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
      notifications.get(i).appendTo(sb);
    }
    return sb.append(']').toString();
  }

  /** Odoo answers a peek with the notifications and the channels it asked for. */
  private static String peekResult(List<Notification> notifications, JsonArray channels) {
    return "{\"notifications\":" + list(notifications) + ",\"channels\":"
        + Json.write(channels) + "}";
  }
}
