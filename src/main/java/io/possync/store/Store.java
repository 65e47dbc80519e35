package io.possync.store;

import io.possync.wire.Notification;
import io.possync.sync.MultiSessionKey;
import io.possync.sync.MultiSessionSnapshot;
import io.possync.sync.StateChanges;
import io.possync.sync.TerminalKey;
import io.possync.sync.TerminalRow;
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

  @Override
  void close();
}
