package io.possync.terminal;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One terminal's network: JSON-RPC calls over the runtime's shared {@link HttpTransport}, a switch that cuts
 * the network (every request fails client-side, answers in flight are lost) and an optional delay
 * on answers. Futures complete on HTTP or timer threads; callers hop to their own executor.
 */
final class TerminalLink {
  /** Which answers a {@link Latency} delays. */
  enum Route { UPDATE, POLL }

  private final HttpTransport http;
  private final ScheduledExecutorService timers;
  private final String base;
  private volatile boolean cut;
  private volatile Latency latency = Latency.NONE;
  /** Bumped on every cut: an answer to a request sent before the cut is lost with it. */
  private final AtomicLong cutEpoch = new AtomicLong();
  private final Set<CompletableFuture<JsonElement>> inFlight = ConcurrentHashMap.newKeySet();

  TerminalLink(HttpTransport http, ScheduledExecutorService timers, URI syncServer) {
    this.http = http;
    this.timers = timers;
    this.base = syncServer.toString(); // the POS appends routes verbatim (docs/protocol.md §1)
  }

  boolean isCut() {
    return cut;
  }

  /** Cuts the network: later requests fail at once, requests in flight fail now. */
  void cut() {
    cut = true;
    cutEpoch.incrementAndGet();
    for (CompletableFuture<JsonElement> f : inFlight) {
      f.completeExceptionally(RpcFailure.transport(RpcFailure.Type.XHR_ERROR, "network cut"));
    }
  }

  void restore() {
    cut = false;
  }

  void latency(Latency value) {
    latency = value;
  }

  /** Fails every request in flight as aborted (the terminal is closing). */
  void abortAll() {
    for (CompletableFuture<JsonElement> f : inFlight) {
      f.completeExceptionally(RpcFailure.transport(RpcFailure.Type.ABORT, "aborted"));
    }
  }

  /**
   * POSTs a JSON-RPC call and completes with its {@code result} ({@link JsonNull} when absent) or
   * fails with an {@link RpcFailure}.
   */
  CompletableFuture<JsonElement> call(String path, Route route, JsonObject params,
      Duration timeout) {
    CompletableFuture<JsonElement> answer = new CompletableFuture<>();
    if (cut) {
      answer.completeExceptionally(
          RpcFailure.transport(RpcFailure.Type.XHR_ERROR, "network cut"));
      return answer;
    }
    long epoch = cutEpoch.get();
    // ajax.js: a random id, never checked by the client (docs/protocol.md §2.1).
    String body = "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":" + params + ",\"id\":"
        + ThreadLocalRandom.current().nextInt(1_000_000_000) + "}";
    CompletableFuture<HttpTransport.Reply> exchange;
    try {
      exchange = http.post(URI.create(base + path), body, timeout);
    } catch (RuntimeException e) { // a malformed URL fails like a network error in a browser
      answer.completeExceptionally(RpcFailure.transport(RpcFailure.Type.XHR_ERROR, e.toString()));
      return answer;
    }
    inFlight.add(answer);
    exchange.whenComplete((response, error) -> {
      Runnable deliver = () -> {
        if (cut || cutEpoch.get() != epoch) {
          answer.completeExceptionally(
              RpcFailure.transport(RpcFailure.Type.XHR_ERROR, "network cut"));
          return;
        }
        try {
          answer.complete(interpret(response, error));
        } catch (RpcFailure f) {
          answer.completeExceptionally(f);
        }
      };
      Duration delay = route == Route.POLL ? latency.poll() : latency.update();
      if (delay.isZero()) {
        deliver.run();
      } else {
        timers.schedule(deliver, delay.toNanos(), TimeUnit.NANOSECONDS);
      }
    });
    answer.whenComplete((r, e) -> {
      inFlight.remove(answer);
      if (e != null && !exchange.isDone()) {
        exchange.cancel(true); // a cut or an abort: let go of the connection too
      }
    });
    return answer;
  }

  private static JsonElement interpret(HttpTransport.Reply response, Throwable error) {
    if (error != null) {
      if (HttpTransport.isTimeout(error)) {
        throw RpcFailure.transport(RpcFailure.Type.TIMEOUT, "timeout");
      }
      throw RpcFailure.of(error);
    }
    int status = response.status();
    if (status < 200 || status > 299) {
      // jQuery reports any non-2xx status as textStatus "error" (§2.5).
      throw RpcFailure.transport(RpcFailure.Type.XHR_ERROR, "HTTP " + status);
    }
    JsonElement body;
    try {
      body = JsonParser.parseString(response.body());
    } catch (JsonParseException e) {
      throw RpcFailure.transport(RpcFailure.Type.PARSE_ERROR, "not JSON");
    }
    if (!body.isJsonObject()) {
      throw RpcFailure.transport(RpcFailure.Type.PARSE_ERROR, "not a JSON-RPC object");
    }
    JsonObject o = body.getAsJsonObject();
    JsonElement err = o.get("error");
    if (err != null && !err.isJsonNull()) {
      JsonElement data = err.isJsonObject() ? err.getAsJsonObject().get("data") : null;
      if (data == null || !data.isJsonObject()) {
        throw RpcFailure.rpcError(null, true, err.toString());
      }
      JsonElement name = data.getAsJsonObject().get("name");
      throw RpcFailure.rpcError(
          name != null && name.isJsonPrimitive() ? name.getAsString() : null, false,
          err.toString());
    }
    JsonElement result = o.get("result");
    return result == null ? JsonNull.INSTANCE : result;
  }
}
