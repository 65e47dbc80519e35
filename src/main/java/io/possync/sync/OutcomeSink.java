package io.possync.sync;

import java.util.concurrent.CompletableFuture;

/**
 * Where decided outcomes go: made durable, then published. Called while the multi-session lock is
 * held, so outcomes of one multi-session arrive in decision order and must be published in it.
 * The future completes when the caller may be answered.
 */
@FunctionalInterface
public interface OutcomeSink {
  CompletableFuture<Void> accept(Outcome outcome);
}
