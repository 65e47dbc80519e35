package io.possync.sync;

import com.google.gson.JsonPrimitive;
import io.possync.wire.Channel;
import io.possync.wire.Outgoing;
import java.util.List;

/**
 * The PING rule of {@code /pos_longpolling/update} (docs/protocol.md §3.3): whatever the message
 * says, the answer is {@code 1} and a {@code "PONG"} goes out on the POS's longpolling channel.
 */
public final class Pong {
  private Pong() {}

  public static Outcome to(String dbname, long posId) {
    return new Outcome(new JsonPrimitive(1),
        List.of(new Outgoing(Channel.longpolling(dbname, posId), "\"PONG\"")));
  }
}
