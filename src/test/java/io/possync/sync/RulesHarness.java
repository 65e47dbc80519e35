package io.possync.sync;

import com.google.gson.JsonElement;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import io.possync.outbox.OutboxPolicy;

/**
 * The rules run as the pipeline runs them, minus the store, the locks and the writer: every
 * multi-session in memory, each outcome handed to {@code committed} at once. For unit tests of
 * {@code sync}.
 */
final class RulesHarness {
  private final Consumer<Outcome> committed;
  private final Clock clock;
  private final Duration orderRetention;
  private final int maxLines;
  private final MultiSessionRules rules;
  private final Map<MultiSessionKey, MultiSession> sessions = new LinkedHashMap<>();

  RulesHarness(Consumer<Outcome> committed, OutboxPolicy outboxPolicy, Clock clock,
      Duration orderRetention, int maxLines, ConflictPolicy conflicts) {
    this.committed = committed;
    this.clock = clock;
    this.orderRetention = orderRetention;
    this.maxLines = maxLines;
    this.rules = new MultiSessionRules(new Terminals(), outboxPolicy, conflicts, clock);
  }

  CompletableFuture<JsonElement> update(UpdateRequest request) {
    Message m = Message.parse(request, maxLines);
    MultiSession ms = sessions.computeIfAbsent(m.key(), k -> MultiSession.fresh(k, clock.millis()));
    Outcome outcome = rules.decide(ms, m, null);
    committed.accept(outcome);
    return CompletableFuture.completedFuture(outcome.result());
  }

  Optional<MultiSessionStatus> status(MultiSessionKey key) {
    MultiSession ms = sessions.get(key);
    return ms == null ? Optional.empty() : Optional.of(rules.overview(ms).status());
  }

  long multiSessionCount() {
    return sessions.size();
  }

  void purgeOldOrders() {
    long horizon = clock.millis() - orderRetention.toMillis();
    for (MultiSession ms : sessions.values()) {
      if (ms.runStartedAt() <= horizon) {
        committed.accept(rules.purge(ms, horizon));
      }
    }
  }
}
