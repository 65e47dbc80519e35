package io.possync.store;

/**
 * A database the table classes ({@link OutboxTables}, {@link TokenTables}) run their SQL on: the
 * embedded SQLite file or a cluster's PostgreSQL. Their SQL is written to mean the same on both.
 */
interface SqlDatabase {
  /**
   * Runs a read.
   *
   * @param failure what the operator is told when it fails ({@code "cannot read the outbox"})
   */
  <T> T read(String failure, Sql<T> sql);

  /**
   * Runs a change in a transaction of its own: all or nothing.
   *
   * @param failure what the operator is told when it fails ({@code "cannot update the outbox"})
   */
  <T> T write(String failure, Sql<T> sql);

  /** Closes the connections. */
  void close();
}
