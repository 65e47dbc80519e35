package io.possync.http;

import java.util.List;

/**
 * The answer of {@code GET /readyz}: whether the node can take changes now, and why not.
 *
 * @param ready  the store takes writes (HTTP 200); otherwise 503
 * @param outbox per Odoo database with a write-back backend, whether its outbox is paused (a
 *               paused outbox does not make the node unready: terminals keep syncing)
 */
public record Readiness(boolean ready, StoreCheck store, List<OutboxDatabase> outbox) {

  /**
   * @param writable    a probe write went through the writer in time
   * @param probeMillis how long the probe took (or waited)
   * @param error       why the store cannot take writes; null when it can
   */
  public record StoreCheck(boolean writable, long probeMillis, String error) {}

  /** The outbox state of one database; reason and since are null when not paused. */
  public record OutboxDatabase(String dbname, boolean paused, String reason, Long since) {}
}
