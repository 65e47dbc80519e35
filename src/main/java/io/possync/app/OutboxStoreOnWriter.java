package io.possync.app;

import io.possync.outbox.OutboxEntry;
import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxRow;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxStore;
import io.possync.outbox.OutboxWaiting;
import io.possync.pipeline.GroupCommitter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The server's outbox: reads go straight to the tables, writes are queued to the store's single
 * writer ({@link GroupCommitter#submit}), so they run between group commits and never on a
 * second writing connection.
 */
final class OutboxStoreOnWriter implements OutboxStore {
  private final OutboxStore tables;
  private final GroupCommitter writer;

  /**
   * @param tables the outbox tables, whose writes run on the calling thread
   */
  OutboxStoreOnWriter(OutboxStore tables, GroupCommitter writer) {
    this.tables = tables;
    this.writer = writer;
  }

  @Override
  public Optional<OutboxRow> nextPending(String dbname, OutboxEntry.Kind kind) {
    return tables.nextPending(dbname, kind);
  }

  @Override
  public List<OutboxRow> list(String dbname, OutboxState state, int limit) {
    return tables.list(dbname, state, limit);
  }

  @Override
  public Map<String, Map<OutboxState, Integer>> counts() {
    return tables.counts();
  }

  @Override
  public List<OutboxWaiting> waiting() {
    return tables.waiting();
  }

  @Override
  public Optional<OutboxPause> pauseOf(String dbname) {
    return tables.pauseOf(dbname);
  }

  @Override
  public List<OutboxPause> pauses() {
    return tables.pauses();
  }

  @Override
  public CompletableFuture<Void> recordAttempt(long id, OutboxState state, int attempts,
      long nextAttemptAt, String lastError, Integer odooOrderId, long now) {
    return onWriter(() -> tables.recordAttempt(id, state, attempts, nextAttemptAt, lastError,
        odooOrderId, now));
  }

  @Override
  public CompletableFuture<Void> pause(OutboxPause pause) {
    return onWriter(() -> tables.pause(pause));
  }

  @Override
  public CompletableFuture<Integer> resume(String dbname) {
    return onWriter(() -> tables.resume(dbname));
  }

  @Override
  public CompletableFuture<Integer> retry(long id, long now) {
    return onWriter(() -> tables.retry(id, now));
  }

  @Override
  public CompletableFuture<Integer> retryDead(String dbname, long now) {
    return onWriter(() -> tables.retryDead(dbname, now));
  }

  @Override
  public CompletableFuture<Integer> drop(long id, long now) {
    return onWriter(() -> tables.drop(id, now));
  }

  /** Runs a write on the writer thread; its future completes with the write's own. */
  private <T> CompletableFuture<T> onWriter(Supplier<CompletableFuture<T>> write) {
    AtomicReference<CompletableFuture<T>> written = new AtomicReference<>();
    return writer.submit(() -> written.set(write.get())).thenCompose(done -> written.get());
  }
}
