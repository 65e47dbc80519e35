package io.possync.http;

import com.google.gson.JsonObject;
import io.possync.pipeline.Pipeline;
import io.possync.sync.UpdateRequest;
import java.util.concurrent.CompletableFuture;

/** {@code /pos_multi_session_sync/update}: multi-session messages (docs/protocol.md §3.1, §5). */
final class UpdateRoute implements Route {
  private final Pipeline pipeline;
  private final TrafficHistory traffic;

  UpdateRoute(Pipeline pipeline, TrafficHistory traffic) {
    this.pipeline = pipeline;
    this.traffic = traffic;
  }

  @Override
  public CompletableFuture<String> call(JsonObject params, Caller caller) {
    // Unknown extra params are ignored (the reference would fail on them, §3.1).
    UpdateRequest request = new UpdateRequest(
        Params.dbname(params, "dbname"),
        Params.integer(params, "multi_session_id"),
        Params.integer(params, "user_ID"),
        Params.object(params, "message"));
    caller.grant().requireUpdate(request.dbname(), request.multiSessionId(), request.userId());
    return pipeline.update(request).thenApply(result -> {
      traffic.updated();
      return result;
    });
  }
}
