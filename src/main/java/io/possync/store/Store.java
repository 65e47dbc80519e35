package io.possync.store;

import io.possync.outbox.OutboxWaiting;
import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxRow;
import io.possync.wire.Notification;
import io.possync.outbox.OutboxEntry;
import io.possync.sync.StateChanges;
import io.possync.sync.StateLoader;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Durable home of multi-sessions, terminals, orders and retained notifications. One writer thread
 * calls {@link #commit}; loads may come from any thread.
 */
public interface Store extends StateLoader, AutoCloseable {

  /** Highest notification id ever handed out (0 for a new store). */
  long lastNotificationId();

  /**
   * Retained notifications created at or after {@code sinceMillis}, in id order: the newest that
   * fit in {@code maxBytes} of heap.
   */
  List<Notification> notificationsSince(long sinceMillis, long maxBytes);

  /**
   * Writes the changes and notifications of many outcomes in one transaction: all or nothing.
   *
   * @param lastNotificationId the bus's high-water mark to persist with them
   * @throws StoreException if nothing could be written
   */
  void commit(List<StateChanges> changes, List<Notification> notifications, long lastNotificationId,
      long now);

  /** The oldest entry of this database and kind still pending, if any. */
  Optional<OutboxRow> nextPending(String dbname, OutboxEntry.Kind kind);

  /** Outbox entries, newest first; null filters mean all. */
  List<OutboxRow> outbox(String dbname, OutboxState state, int limit);

  /** Counts of entries by database and state, for status and metrics. */
  Map<String, Map<OutboxState, Integer>> outboxCounts();

  /** Per database, the paid orders still waiting for Odoo, for the status page. */
  List<OutboxWaiting> outboxWaiting();

  /**
   * The names the newest orders carry in {@code ms_info} for their terminals, one per terminal
   * (the newest wins), for the status page.
   */
  List<TerminalName> terminalNames();

  /** Records an attempt's result. Writer thread only. */
  void updateOutbox(long id, OutboxState state, int attempts, long nextAttemptAt,
      String lastError, Integer odooOrderId, long now);

  /** The pause of a database's outbox, if paused. */
  Optional<OutboxPause> pause(String dbname);

  /** Pauses (or, with null, resumes) a database's outbox. Writer thread only. */
  void setPause(String dbname, OutboxPause pause);

  /**
   * Deletes notifications created before {@code notificationsBefore} and deleted or unpaid orders
   * of multi-sessions whose current run started before {@code runStartedBefore} (decision D4).
   */
  void purge(long notificationsBefore, long runStartedBefore);

  /**
   * Checks that a change of about {@code bytes} could be written now: the disk has that much room
   * and the database may grow by that much ({@code store.max_bytes}). Tries the write in a
   * transaction that it rolls back, so nothing changes. Writer thread only.
   *
   * @throws StoreException saying why not
   */
  void checkWritable(int bytes);

  /** The token with this hash, revoked or not. */
  Optional<AccessToken> token(String hash);

  @Override
  void close();
}
