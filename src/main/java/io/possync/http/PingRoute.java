package io.possync.http;

import com.google.gson.JsonObject;
import io.possync.pipeline.Pipeline;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /pos_longpolling/update}: a PING, answered with a PONG on the terminal's longpolling
 * channel (docs/protocol.md §3.3).
 */
final class PingRoute implements Route {
  private final Pipeline pipeline;

  PingRoute(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  public CompletableFuture<String> call(JsonObject params, Caller caller) {
    String db = Params.dbname(params, "db_name"); // with an underscore, unlike the update route
    long posId = Params.integer(params, "pos_id");
    caller.grant().requireDb(db);
    return pipeline.ping(db, posId);
  }
}
