package io.possync.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.possync.wire.Channel;
import io.possync.wire.Outgoing;
import io.possync.sync.Outcome;
import io.possync.sync.OutcomeSink;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /pos_longpolling/update}: a PING is answered {@code 1} and a {@code "PONG"} goes out on
 * the terminal's longpolling channel, whatever the message says (PROTOCOL.md §3.3).
 */
final class PingRoute implements Route {
  private final OutcomeSink sink;

  PingRoute(OutcomeSink sink) {
    this.sink = sink;
  }

  @Override
  public CompletableFuture<String> call(JsonObject params, Caller caller) {
    String db = Params.dbname(params, "db_name"); // with an underscore, unlike the update route
    long posId = Params.integer(params, "pos_id");
    caller.grant().requireDb(db);
    // Through the store like every notification, so its id is durable before anyone sees it.
    return sink.accept(new Outcome(new JsonPrimitive(1),
        List.of(new Outgoing(Channel.longpolling(db, posId), "\"PONG\""))))
        .thenApply(done -> "1");
  }
}
