package io.possync.bus;

import io.possync.wire.Notification;
import java.time.Duration;
import java.util.List;

/**
 * Where a {@link ClusterBus} learns of notifications that any node committed: the shared table,
 * a signal when another commit happened, and the shared id counter.
 */
public interface BusFeed {
  /** Committed notifications with ids above {@code after}, in id order, at most {@code limit}. */
  List<Notification> after(long after, int limit);

  /**
   * Waits up to {@code timeout} for a sign that a node committed notifications.
   *
   * @return the highest id that sign named, or -1 if none came
   */
  long await(Duration timeout) throws InterruptedException;

  /** Moves the shared id counter to at least {@code id}; returns where it is. */
  long raise(long id);

  /** Lets go of what the feed holds (a listening connection); called once the bus stopped. */
  default void close() {}
}
