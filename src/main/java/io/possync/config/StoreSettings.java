package io.possync.config;

import java.nio.file.Path;

/**
 * The durable state from {@code store.*}.
 *
 * @param dataDir     where the SQLite database lives ({@code store.data_dir})
 * @param sync        what an acknowledged change survives ({@code store.sync}, SQLite)
 * @param maxBytes    largest size of the database, 0 for no limit ({@code store.max_bytes})
 * @param kind        SQLite (one node) or PostgreSQL (a cluster) ({@code store.kind})
 * @param url         the PostgreSQL JDBC URL ({@code store.url}); TLS through its {@code sslmode}
 * @param user        the PostgreSQL role ({@code store.user})
 * @param passwordEnv the environment variable holding its password ({@code store.password_env});
 *                    empty for none (peer or trust authentication)
 * @param poolSize    connections this node keeps to PostgreSQL ({@code store.pool_size})
 * @param nodeName    this node's name in the cluster ({@code cluster.node_name}); empty for the
 *                    host name and POS port
 */
public record StoreSettings(Path dataDir, StoreSync sync, long maxBytes, StoreKind kind,
    String url, String user, String passwordEnv, int poolSize, String nodeName) {

  /** The embedded SQLite store in {@code dataDir}, as before cluster mode existed. */
  public StoreSettings(Path dataDir, StoreSync sync, long maxBytes) {
    this(dataDir, sync, maxBytes, StoreKind.SQLITE, "", "", "", 10, "");
  }

  /** Whether the state is in PostgreSQL, shared with other nodes. */
  public boolean clustered() {
    return kind == StoreKind.POSTGRESQL;
  }
}
