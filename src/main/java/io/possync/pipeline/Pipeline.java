package io.possync.pipeline;

import com.google.gson.JsonObject;
import io.possync.bus.Bus;
import io.possync.bus.PollLimitException;
import io.possync.wire.Notification;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Consumer;
import io.possync.store.RevisionStep;
import io.possync.store.StaleRevisionException;
import io.possync.store.Store;
import io.possync.sync.InvalidMessageException;
import io.possync.sync.Message;
import io.possync.sync.MultiSession;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionOverview;
import io.possync.sync.MultiSessionRules;
import io.possync.sync.MultiSessionStatus;
import io.possync.sync.Outcome;
import io.possync.sync.Pong;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalRow;
import io.possync.sync.Terminals;
import io.possync.sync.UpdateRequest;
import io.possync.wire.Json;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The path of one request, top to bottom (docs/architecture.md, "The path of one update"):
 * <ol>
 *   <li><b>admit</b>: check the message (a malformed one changes nothing) and wait for room in the
 *       commit queue, holding no lock;</li>
 *   <li><b>load</b>: bring the multi-session (and a terminal a {@code sync_all} registers) into
 *       memory, still holding no lock: loads may read the store;</li>
 *   <li><b>decide</b>: holding that multi-session's lock alone, apply the pure rules of
 *       {@code sync};</li>
 *   <li><b>commit</b>: hand the outcome to the single writer while still holding the lock, so
 *       outcomes reach it in decision order; the multi-session stays pinned until durable;</li>
 *   <li><b>publish</b>: the writer appends the notifications to the bus after the commit;</li>
 *   <li><b>answer</b>: the caller's future completes after that, on the writer's thread.</li>
 * </ol>
 * A failed commit fails its batch and everything queued behind it, and its multi-sessions are
 * reloaded from the store by the next request.
 */
public final class Pipeline {
  private final Store store;
  private final Bus bus;
  private final GroupCommitter committer;
  private final MultiSessionRules rules;
  private final Terminals terminals;
  private final HotState hot;
  private final Clock clock;
  private final int maxLines;
  private final DecisionListener listener;
  /** Outcomes decided and not yet committed, at most; beyond it requests wait before deciding. */
  private final Semaphore room;

  /**
   * @param rules     the multi-session rules, deciding on {@code terminals}
   * @param hotBytes  approximate heap the multi-sessions in memory may take (state.hot_bytes)
   * @param maxLines  most lines one order may carry (limits.lines_per_order)
   * @param waiting   outcomes that may wait for the writer; beyond it requests wait to be admitted
   */
  public Pipeline(Store store, Bus bus, GroupCommitter committer,
      MultiSessionRules rules, Terminals terminals, Clock clock, long hotBytes, int maxLines,
      int waiting, DecisionListener listener) {
    this.store = store;
    this.bus = bus;
    this.committer = committer;
    this.rules = rules;
    this.terminals = terminals;
    this.clock = clock;
    this.maxLines = maxLines;
    this.listener = listener;
    this.room = new Semaphore(waiting);
    this.hot = new HotState(store, terminals, clock, hotBytes);
  }

  /**
   * One {@code /pos_multi_session_sync/update} call. Completes with the JSON text of the result
   * once the outcome is durable and published.
   *
   * @throws InvalidMessageException if the message is malformed; nothing was changed
   */
  public CompletableFuture<String> update(UpdateRequest request) {
    long admitted = System.nanoTime();
    Message message = Message.parse(request, maxLines);
    Supplier<Message> attempts = attempts(request, message);
    Optional<TerminalKey> registers = message.registers(); // a sync_all's POS
    TerminalRow registering = registers
        .filter(k -> terminals.homeOf(k).isEmpty())
        .flatMap(store::loadTerminal)
        .orElse(null);
    return decide(message.key(), ms -> rules.decide(ms, attempts.get(), registering))
        .thenApply(outcome -> {
          listener.decided(message.action(), outcome.verdict(), System.nanoTime() - admitted);
          registers.ifPresent(t -> listener.syncAll(t.dbname(), t.posId()));
          return Json.write(outcome.result());
        });
  }

  /**
   * The message each attempt at deciding {@code request} decides. A decision changes the message
   * it decides (the stored order is that very object: its {@code revision_ID} becomes the new
   * revision, its lines are flagged); in a cluster a decision refused as stale is taken again, and
   * must start from the message as it came, or a retried update would carry the revision its
   * failed attempt granted and be refused as based on a revision the store never had.
   */
  private Supplier<Message> attempts(UpdateRequest request, Message first) {
    if (!store.shared()) {
      return () -> first; // decided once
    }
    JsonObject pristine = request.message().deepCopy();
    AtomicBoolean firstTaken = new AtomicBoolean();
    return () -> firstTaken.getAndSet(true)
        ? Message.parse(new UpdateRequest(request.dbname(), request.multiSessionId(),
            request.userId(), pristine.deepCopy()), maxLines)
        : first;
  }

  /** A PING: its PONG is committed like every notification, so its id is durable when seen. */
  public CompletableFuture<String> ping(String dbname, long posId) {
    Outcome pong = Pong.to(dbname, posId);
    return retryingWhenStale(() -> {
      admit();
      CompletableFuture<Void> durable = committer.accept(pong);
      durable.whenComplete((done, failure) -> room.release());
      return durable;
    }).thenApply(done -> Json.write(pong.result()));
  }

  /**
   * Whether POS config {@code posId} is registered in the multi-session (it registers with its
   * first sync_all, before it polls). May read the store; call holding no lock.
   */
  public boolean isTerminalOf(MultiSessionKey key, long posId) {
    TerminalKey tk = new TerminalKey(key.dbname(), posId);
    return terminals.homeOf(tk)
        .or(() -> store.loadTerminal(tk).map(
            row -> new MultiSessionKey(row.key().dbname(), row.multiSessionId())))
        .map(key::equals).orElse(false);
  }

  /**
   * A poll (docs/protocol.md §3.2): answered at once with what its channels retain after
   * {@code last}, or parked until a publication on one of them or the timeout. The answer is
   * given exactly once, on the thread that publishes, times out or stops the server.
   *
   * @return cancels a parked poll (the client went away); does nothing once answered
   * @throws TooManyPolls if the poll would have to be parked and the bound is reached
   */
  public Runnable poll(Collection<String> channels, long last, boolean peek, Duration timeout,
      Consumer<List<Notification>> answer) {
    try {
      return bus.poll(channels, last, peek, timeout, answer::accept);
    } catch (PollLimitException e) {
      throw new TooManyPolls(e.getMessage());
    }
  }

  /** A poll refused because too many are parked (poll.max_held). */
  public static final class TooManyPolls extends RuntimeException {
    TooManyPolls(String message) {
      super(message);
    }
  }

  /**
   * Purges deleted and unpaid orders of runs that ended more than {@code retention} ago (D4), in
   * the multi-sessions held in memory; the store purges the cold ones by the same rule.
   */
  public void purgeOldOrders(java.time.Duration retention) {
    long horizon = clock.millis() - retention.toMillis();
    for (HotMultiSession h : hot.all()) {
      if (h.state.runStartedAt() <= horizon) {
        decide(h.state.key(), ms -> rules.purge(ms, horizon));
      }
    }
  }

  /**
   * Snapshots of the multi-sessions held in memory, with their terminals, ordered by database and
   * id. Takes each one's lock in turn, never two at once.
   */
  public List<MultiSessionOverview> hotMultiSessions() {
    List<MultiSessionOverview> out = new ArrayList<>();
    for (HotMultiSession h : hot.all()) {
      out.add(overview(h));
    }
    out.sort(Comparator.comparing((MultiSessionOverview o) -> o.key().dbname())
        .thenComparingLong(o -> o.key().multiSessionId()));
    return out;
  }

  /** A snapshot of one multi-session held in memory, if it is. */
  public Optional<MultiSessionOverview> hotMultiSession(MultiSessionKey key) {
    return hot.ifPresent(key).map(this::overview);
  }

  /** The status of one multi-session held in memory, if it is (tests, status page). */
  public Optional<MultiSessionStatus> status(MultiSessionKey key) {
    return hotMultiSession(key).map(MultiSessionOverview::status);
  }

  /**
   * The status of a multi-session as the store has it now: loaded if need be, and in a cluster
   * reloaded first when another node changed it. May read the store; call holding no lock.
   */
  public MultiSessionStatus currentStatus(MultiSessionKey key) {
    return overview(hot.get(key)).status();
  }

  /** Number of multi-sessions held in memory. */
  public long multiSessionCount() {
    return hot.size();
  }

  /** Number of registered terminals held in memory. */
  public int terminalCount() {
    return terminals.size();
  }

  private MultiSessionOverview overview(HotMultiSession h) {
    h.lock.lock();
    try {
      return rules.overview(h.state);
    } finally {
      h.lock.unlock();
    }
  }

  /**
   * Steps 2 to 4 for one decision: load, lock, decide, hand to the writer. The outcome is returned
   * once durable and published.
   */
  private CompletableFuture<Outcome> decide(MultiSessionKey key,
      Function<MultiSession, Outcome> decision) {
    return retryingWhenStale(() -> decideOnce(key, decision));
  }

  /** Most times one request is decided before it gives up on a multi-session in contention. */
  static final int MAX_ATTEMPTS = 20;
  /** Where a decision refused as stale is taken again: not the writer thread, which loads block. */
  private static final Executor RETRIES = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "possync-redecide");
    t.setDaemon(true);
    return t;
  });

  /**
   * Runs {@code attempt}; in a cluster, when its commit was refused because another node changed
   * the multi-session first ({@link StaleRevisionException}), runs it again on fresh state: the
   * decision is a pure function of the state, and nothing of it was acknowledged. The first
   * attempt runs on the caller's thread and throws as it would on one node.
   */
  private <T> CompletableFuture<T> retryingWhenStale(Supplier<CompletableFuture<T>> attempt) {
    CompletableFuture<T> first = attempt.get();
    if (!store.shared()) {
      return first;
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    settle(first, attempt, 1, result);
    return result;
  }

  private <T> void settle(CompletableFuture<T> tried, Supplier<CompletableFuture<T>> attempt,
      int attempts, CompletableFuture<T> result) {
    tried.whenComplete((value, failure) -> {
      if (failure == null) {
        result.complete(value);
      } else if (attempts < MAX_ATTEMPTS && stale(failure)) {
        RETRIES.execute(() -> {
          CompletableFuture<T> again;
          try {
            again = attempt.get();
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
          }
          settle(again, attempt, attempts + 1, result);
        });
      } else {
        result.completeExceptionally(failure);
      }
    });
  }

  private static boolean stale(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof StaleRevisionException) {
        return true;
      }
    }
    return false;
  }

  /** One attempt at steps 2 to 4. */
  private CompletableFuture<Outcome> decideOnce(MultiSessionKey key,
      Function<MultiSession, Outcome> decision) {
    admit();
    while (true) {
      HotMultiSession h;
      try {
        h = hot.get(key);
      } catch (RuntimeException storeFailed) {
        room.release();
        throw storeFailed;
      }
      h.lock.lock();
      try {
        hot.pin(h); // before the check: a multi-session in use is never retired
        if (!hot.isCurrent(h)) {
          hot.unpin(h);
          continue; // evicted or failed meanwhile: take the current object
        }
        Outcome outcome;
        try {
          outcome = decision.apply(h.state);
        } catch (RuntimeException e) {
          if (!(e instanceof InvalidMessageException)) {
            hot.fail(h); // a fault halfway may have left memory ahead of the store
          }
          hot.unpin(h);
          room.release();
          throw e;
        }
        RevisionStep step = new RevisionStep(key, h.revision);
        h.revision++;
        CompletableFuture<Void> durable = committer.accept(outcome, step, () -> !h.broken);
        hot.reweigh(h);
        // The caller hears of the outcome once the copy is settled: a decision taken again after
        // a failure (a cluster's stale retry) must find this copy broken, not decide on it again.
        return durable.whenComplete((done, failure) -> {
          if (failure != null) {
            hot.fail(h); // not durable: memory is ahead of the store
          }
          hot.unpin(h);
          room.release();
        }).thenApply(done -> outcome);
      } finally {
        h.lock.unlock();
      }
    }
  }

  /** Waits for room in the commit queue: back-pressure on clients instead of a growing heap. */
  private void admit() {
    room.acquireUninterruptibly();
  }
}
