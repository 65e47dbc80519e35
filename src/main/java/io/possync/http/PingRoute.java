package io.possync.http;

import com.google.gson.JsonObject;
import io.possync.bus.Channels;
import io.possync.bus.NotificationBus;
import io.possync.bus.Outgoing;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /pos_longpolling/update}: a PING is answered {@code 1} and a {@code "PONG"} goes out on
 * the terminal's longpolling channel, whatever the message says (PROTOCOL.md §3.3).
 */
final class PingRoute implements Route {
  private final NotificationBus bus;

  PingRoute(NotificationBus bus) {
    this.bus = bus;
  }

  @Override
  public CompletableFuture<String> call(JsonObject params) {
    String db = Params.string(params, "db_name"); // with an underscore, unlike the update route
    long posId = Params.integer(params, "pos_id");
    bus.publish(List.of(new Outgoing(Channels.of(db, Channels.LONGPOLLING, posId), "\"PONG\"")));
    return CompletableFuture.completedFuture("1");
  }
}
