package io.possync.http;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.possync.wire.Json;
import io.possync.wire.Python;
import io.possync.sync.SyncService;
import io.possync.sync.UpdateRequest;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** {@code /pos_multi_session_sync/update}: multi-session messages (PROTOCOL.md §3.1, §5). */
final class UpdateRoute implements Route {
  /** The actions clients send (§5.1); anything else is counted as {@code other}. */
  private static final Set<String> ACTIONS = Set.of("update_order", "sync_all", "remove_order");

  private final SyncService sync;
  private final TrafficHistory traffic;
  private final RequestListener listener;

  UpdateRoute(SyncService sync, TrafficHistory traffic, RequestListener listener) {
    this.sync = sync;
    this.traffic = traffic;
    this.listener = listener;
  }

  @Override
  public CompletableFuture<String> call(JsonObject params, Caller caller) {
    long started = System.nanoTime();
    // Unknown extra params are ignored (the reference would fail on them, §3.1).
    UpdateRequest request = new UpdateRequest(
        Params.dbname(params, "dbname"),
        Params.integer(params, "multi_session_id"),
        Params.integer(params, "user_ID"),
        Params.object(params, "message"));
    caller.grant().requireUpdate(request.dbname(), request.multiSessionId(), request.userId());
    return sync.update(request).thenApply(result -> {
      traffic.updated();
      observe(request, result, System.nanoTime() - started);
      return Json.write(result);
    });
  }

  /** Tells the listener what was decided; the message was valid, or sync would have refused it. */
  private void observe(UpdateRequest request, JsonElement result, long nanos) {
    JsonElement rawAction = request.message().get("action");
    String action = rawAction != null && rawAction.isJsonPrimitive()
        && ACTIONS.contains(rawAction.getAsString()) ? rawAction.getAsString() : "other";
    listener.updated(action, nanos);
    JsonElement answered = result.isJsonObject() ? result.getAsJsonObject().get("action") : null;
    if (answered != null && answered.isJsonPrimitive()
        && "revision_error".equals(answered.getAsString())) {
      listener.revisionError(action);
    }
    if (result.isJsonObject() && result.getAsJsonObject().has("merged")) {
      listener.merged();
    }
    if (action.equals("sync_all")) {
      JsonElement data = request.message().get("data");
      JsonElement posId = data != null && data.isJsonObject()
          ? data.getAsJsonObject().get("pos_id") : null;
      Long pos = id(posId);
      if (pos != null) {
        listener.syncAll(request.dbname(), pos);
      }
    }
  }

  /** A POS id as sync read it (Python's int()), if it is one. */
  private static Long id(JsonElement e) {
    return Python.integer(e).filter(v -> v.bitLength() <= 53).map(v -> v.longValue()).orElse(null);
  }
}
