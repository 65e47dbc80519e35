package io.possync.sync;

import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import io.possync.outbox.OutboxPolicy;

/**
 * The multi-session rules (docs/protocol.md §5): given one multi-session's state and one checked
 * message, decides the answer, the notifications and the rows to store. Pure: no I/O, no locks,
 * nothing that blocks; the caller serializes the decisions of one multi-session. Each action has
 * its class: {@link OrderUpdates}, {@link Resyncs}, {@link Removals}; {@link Broadcasts} says who
 * gets what.
 */
public final class MultiSessionRules {
  private final Broadcasts broadcasts;
  private final OrderUpdates orders;
  private final Resyncs resyncs;
  private final Removals removals;
  private final Clock clock;

  /**
   * @param terminals    the registered terminals of the multi-sessions in memory
   * @param outboxPolicy which databases queue work for the Odoo write-back
   * @param conflicts    what an update based on an older revision does (sync.conflicts)
   */
  private final Terminals terminals;
  /** Earlier versions of an order kept as merge bases (0 under sync.conflicts=reject). */
  private final int keptRevisions;

  public MultiSessionRules(Terminals terminals, OutboxPolicy outboxPolicy,
      ConflictPolicy conflicts, Clock clock) {
    this.clock = clock;
    this.terminals = terminals;
    this.keptRevisions = conflicts == ConflictPolicy.MERGE ? OrderUpdates.KEPT_REVISIONS : 0;
    this.broadcasts = new Broadcasts(terminals);
    this.orders = new OrderUpdates(broadcasts, conflicts, clock);
    this.resyncs = new Resyncs(terminals, broadcasts, clock);
    this.removals = new Removals(orders, broadcasts, outboxPolicy, conflicts, clock);
  }

  /**
   * A multi-session rebuilt from the store, its terminals adopted, keeping as many earlier
   * versions of each order as the conflict policy merges against.
   */
  public MultiSession restore(MultiSessionSnapshot snapshot) {
    return MultiSession.restore(snapshot, terminals, keptRevisions);
  }

  /**
   * Decides one message on its multi-session. On failure nothing of the decision is left in the
   * change set, but memory may be ahead of the store: the caller reloads it (unless the message was
   * merely invalid, which changes nothing).
   *
   * @param stored the stored row of the terminal a {@code sync_all} registers, if it has one and it
   *               is not in memory ({@link Message#registers()})
   */
  public Outcome decide(MultiSession ms, Message m, TerminalRow stored) {
    try {
      Decided d = switch (m.action()) {
        case UPDATE_ORDER -> orders.update(ms, m.body(), m.data(), m.runId());
        case SYNC_ALL -> resyncs.syncAll(ms, m.userId(), m.body(), m.data(), m.runId(), stored);
        case REMOVE_ORDER -> removals.remove(ms, m.body(), m.data(), m.runId());
        case OTHER -> {
          ms.applyRunRule(m.runId(), clock.millis());
          // Unknown actions are relayed unchanged; the reference answers 1 (§5.1).
          yield new Decided(new JsonPrimitive(1), broadcasts.toAll(ms, m.body(), m.data()));
        }
      };
      return new Outcome(d.result(), d.notifications(), ms.drainChanges(), d.verdict());
    } catch (RuntimeException e) {
      ms.discardChanges();
      throw e;
    }
  }

  /**
   * Purges deleted and unpaid orders of a run that ended before {@code horizon} (D4); the store
   * purges the multi-sessions not in memory by the same rule.
   */
  public Outcome purge(MultiSession ms, long horizon) {
    Iterator<OrderRecord> it = ms.orders.values().iterator();
    while (it.hasNext()) {
      OrderRecord o = it.next();
      if (o.state != OrderState.DRAFT && o.runId < ms.runId && ms.runStartedAt <= horizon) {
        it.remove();
        ms.purged(o);
      }
    }
    return new Outcome(JsonNull.INSTANCE, List.of(), ms.drainChanges(), Verdict.APPLIED);
  }

  /** A snapshot of one multi-session with its terminals, for the status page. */
  public MultiSessionOverview overview(MultiSession ms) {
    List<Terminal> registered = broadcasts.members(ms);
    List<TerminalStatus> list = new ArrayList<>(registered.size());
    for (Terminal t : registered) {
      list.add(new TerminalStatus(t.key.posId(), t.userId, t.messageId));
    }
    long drafts = ms.orders.values().stream().filter(o -> o.state == OrderState.DRAFT).count();
    return new MultiSessionOverview(ms.key, new MultiSessionStatus(ms.runId, ms.orderId,
        ms.orders.size(), drafts, registered.size()), List.copyOf(list));
  }
}
