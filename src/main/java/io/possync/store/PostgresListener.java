package io.possync.store;

import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The connection on which a node hears the other nodes' commits ({@code LISTEN} on
 * {@link PostgresStore#CHANNEL}), outside the pool. One thread uses it: the bus's follower. It
 * reconnects by itself after the database was away.
 */
public final class PostgresListener implements AutoCloseable {
  private final PostgresStore store;
  private Connection connection;

  public PostgresListener(PostgresStore store) {
    this.store = store;
  }

  /**
   * Waits up to {@code millis} for commits of any node.
   *
   * @return the highest notification id they announced, or -1 if none came
   * @throws StoreException if the database cannot be reached (the caller waits and asks again)
   */
  public long await(long millis) {
    try {
      if (connection == null) {
        connection = store.listeningConnection();
      }
      PGNotification[] heard = connection.unwrap(PGConnection.class)
          .getNotifications((int) Math.max(1, millis));
      long highest = -1;
      if (heard != null) {
        for (PGNotification n : heard) {
          try {
            highest = Math.max(highest, Long.parseLong(n.getParameter()));
          } catch (NumberFormatException ignored) {
            // not ours: the id is read from the table anyway
          }
        }
      }
      return highest;
    } catch (SQLException e) {
      close();
      throw new StoreException("cannot listen for other nodes' commits: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // already broken
      }
      connection = null;
    }
  }
}
