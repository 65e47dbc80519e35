package io.possync.sync;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.outbox.OutboxEntry;
import io.possync.wire.Outgoing;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Keeps what was committed and published, for the tests. */
final class RecordingSink implements Consumer<Outcome> {
  /** One published notification: its channel and the parsed message. */
  record Sent(String channel, JsonObject message) {}

  private final List<Outcome> outcomes = new ArrayList<>();
  private int drained;

  @Override
  public void accept(Outcome outcome) {
    outcomes.add(outcome);
  }

  /** Every outbox entry queued so far, in commit order. */
  List<OutboxEntry> outbox() {
    List<OutboxEntry> out = new ArrayList<>();
    outcomes.forEach(o -> out.addAll(o.changes().outbox()));
    return out;
  }

  /** Notifications published since the last call, in publication order. */
  List<Sent> drain() {
    List<Sent> out = new ArrayList<>();
    for (Outcome o : outcomes.subList(drained, outcomes.size())) {
      for (Outgoing n : o.notifications()) {
        out.add(new Sent(n.channel(), JsonParser.parseString(n.messageJson()).getAsJsonObject()));
      }
    }
    drained = outcomes.size();
    return out;
  }
}
