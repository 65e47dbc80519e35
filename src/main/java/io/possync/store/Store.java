package io.possync.store;

import io.possync.bus.Notification;
import io.possync.sync.StateChanges;
import io.possync.sync.StateLoader;
import java.util.List;

/**
 * Durable home of multi-sessions, terminals, orders and retained notifications. One writer thread
 * calls {@link #commit}; loads may come from any thread.
 */
public interface Store extends StateLoader, AutoCloseable {

  /** Highest notification id ever handed out (0 for a new store). */
  long lastNotificationId();

  /** Retained notifications created at or after {@code sinceMillis}, in id order. */
  List<Notification> notificationsSince(long sinceMillis);

  /**
   * Writes the changes and notifications of many outcomes in one transaction: all or nothing.
   *
   * @param lastNotificationId the bus's high-water mark to persist with them
   * @throws StoreException if nothing could be written
   */
  void commit(List<StateChanges> changes, List<Notification> notifications, long lastNotificationId);

  /**
   * Deletes notifications created before {@code notificationsBefore} and deleted or unpaid orders
   * of multi-sessions whose current run started before {@code runStartedBefore} (decision D4).
   */
  void purge(long notificationsBefore, long runStartedBefore);

  @Override
  void close();
}
