package io.possync.http;

import java.util.concurrent.CompletableFuture;

/**
 * What the admin listener reports. Implemented where every part of the node is visible (the
 * wiring), so that this package needs neither the store nor the outbox worker.
 */
public interface StatusSource {

  /** The document of {@code /api/status}, made now. */
  StatusReport status();

  /** Whether the node can take changes; completes within a few seconds whatever happens. */
  CompletableFuture<Readiness> readiness();
}
