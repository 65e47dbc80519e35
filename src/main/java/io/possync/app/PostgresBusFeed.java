package io.possync.app;

import io.possync.bus.BusFeed;
import io.possync.store.PostgresListener;
import io.possync.store.PostgresStore;
import io.possync.wire.Notification;
import java.time.Duration;
import java.util.List;

/** The cluster bus's view of the PostgreSQL store: its notification table, signals and counter. */
final class PostgresBusFeed implements BusFeed, AutoCloseable {
  private final PostgresStore store;
  private final PostgresListener listener;

  PostgresBusFeed(PostgresStore store) {
    this.store = store;
    this.listener = new PostgresListener(store);
  }

  @Override
  public List<Notification> after(long after, int limit) {
    return store.notificationsAfter(after, limit);
  }

  @Override
  public long await(Duration timeout) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    return listener.await(timeout.toMillis());
  }

  @Override
  public long raise(long id) {
    return store.raiseCounter(id);
  }

  @Override
  public void close() {
    listener.close();
  }
}
