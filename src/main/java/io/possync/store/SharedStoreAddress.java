package io.possync.store;

/**
 * Where a cluster's PostgreSQL database is, for the operator's commands ({@code possync token},
 * {@code possync outbox}) run beside the nodes.
 *
 * @param password null for none
 */
public record SharedStoreAddress(String url, String user, String password) {

  /** Connects (two connections at most) and migrates the schema if needed. */
  SqlDatabase open() {
    return PostgresDatabase.open(url, user, password, 2, "possync command");
  }
}
