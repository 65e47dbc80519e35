package io.possync.outbox;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The outbox as the worker, the status page, the metrics and {@code possync outbox} see it. Reads
 * answer at once from any thread. Writes return a future that completes once the change is
 * durable; in the server they run on the store's single writer, between commits, so they never
 * interleave with a group commit. An implementation that writes on the calling thread may throw
 * instead of failing the future.
 */
public interface OutboxStore {

  /** The oldest entry of this database and kind still pending, if any. */
  Optional<OutboxRow> nextPending(String dbname, OutboxEntry.Kind kind);

  /** Entries, newest first; null filters mean all. */
  List<OutboxRow> list(String dbname, OutboxState state, int limit);

  /** Counts of entries by database and state, for status and metrics. */
  Map<String, Map<OutboxState, Integer>> counts();

  /** Per database, the paid orders still waiting for Odoo, for the status page. */
  List<OutboxWaiting> waiting();

  /** The pause of a database's outbox, if paused. */
  Optional<OutboxPause> pauseOf(String dbname);

  /** Every paused database. */
  List<OutboxPause> pauses();

  /** Records an attempt's result. */
  CompletableFuture<Void> recordAttempt(long id, OutboxState state, int attempts,
      long nextAttemptAt, String lastError, Integer odooOrderId, long now);

  /** Pauses a database's outbox, replacing an earlier pause of it. */
  CompletableFuture<Void> pause(OutboxPause pause);

  /** Lifts the pause of a database's outbox; 1 if it was paused, else 0. */
  CompletableFuture<Integer> resume(String dbname);

  /** Makes one entry (dead, missing or waiting) due again at once; how many changed. */
  CompletableFuture<Integer> retry(long id, long now);

  /** Makes every dead entry of a database due again; how many changed. */
  CompletableFuture<Integer> retryDead(String dbname, long now);

  /** Gives up on one entry that is not done; it stays listed as dropped. How many changed. */
  CompletableFuture<Integer> drop(long id, long now);
}
