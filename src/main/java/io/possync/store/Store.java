package io.possync.store;

import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionSnapshot;
import io.possync.sync.StateChanges;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalRow;
import io.possync.wire.Notification;
import io.possync.wire.Outgoing;
import java.util.List;
import java.util.Optional;

/**
 * Durable home of multi-sessions, terminals, orders and retained notifications. One writer thread
 * calls {@link #commit}; loads may come from any thread. The outbox and the access tokens live in
 * the same database but are reached apart: {@link SqliteStore#outbox} (an
 * {@link io.possync.outbox.OutboxStore}) and {@link SqliteStore#tokens}.
 */
public interface Store extends AutoCloseable {

  /** The multi-session with its terminals and orders, or empty if it never existed. */
  Optional<MultiSessionSnapshot> loadMultiSession(MultiSessionKey key);

  /** One terminal, wherever its home is, or empty if it never registered. */
  Optional<TerminalRow> loadTerminal(TerminalKey key);

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

  /**
   * The names the newest orders carry in {@code ms_info} for their terminals, one per terminal
   * (the newest wins), for the status page.
   */
  List<TerminalName> terminalNames();

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

  // --- Shared by the nodes of a cluster (PostgreSQL). A node's store answers the defaults.

  /**
   * Whether other nodes write to this store too. Then a decision is committed only on the
   * revision it was taken on ({@link #commitNumbered}), and the store, not the bus, numbers the
   * notifications, inside the committing transaction, so that ids are global.
   */
  default boolean shared() {
    return false;
  }

  /** The multi-session with the revision it was read at, in one consistent read. */
  default LoadedMultiSession loadWithRevision(MultiSessionKey key) {
    return new LoadedMultiSession(loadMultiSession(key), 0);
  }

  /** The multi-session's committed revision (0 if it never had a decision). */
  default long revisionOf(MultiSessionKey key) {
    return 0;
  }

  /**
   * A shared store's commit: checks that every multi-session is still at the revision its
   * decisions were taken on, writes the changes, then numbers the notifications from the shared
   * counter and writes them, in one transaction.
   *
   * @return the notifications with their ids, in id order
   * @throws StaleRevisionException if another node changed one of the multi-sessions meanwhile;
   *                                nothing was written
   * @throws StoreException         if nothing could be written
   */
  default List<Notification> commitNumbered(List<RevisionStep> steps, List<StateChanges> changes,
      List<Outgoing> outgoing, long now) {
    throw new UnsupportedOperationException("only a shared store numbers notifications");
  }

  @Override
  void close();
}
