package io.possync.config;

/** {@code store.kind}: where the durable state lives. */
public enum StoreKind {
  /** One SQLite file in {@code store.data_dir}: one node (the default, a shop's box). */
  SQLITE("sqlite"),
  /** A PostgreSQL database shared by every node of a cluster (docs/cluster.md). */
  POSTGRESQL("postgresql");

  private final String value;

  StoreKind(String value) {
    this.value = value;
  }

  /** As written in the configuration. */
  @Override
  public String toString() {
    return value;
  }
}
