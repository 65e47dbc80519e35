package io.possync.pipeline;

import io.possync.sync.Action;
import io.possync.sync.Verdict;

/**
 * What the pipeline reports to whoever counts (the metrics, bound by the wiring) about each
 * committed decision. Called on the commit writer's thread, so it must be cheap.
 */
public interface DecisionListener {
  /** Reports nothing. */
  DecisionListener NONE = new DecisionListener() { };

  /**
   * A multi-session message was decided and committed, {@code nanos} after it was admitted.
   */
  default void decided(Action action, Verdict verdict, long nanos) { }

  /** A terminal asked for a full resync ({@code sync_all}) and got it. */
  default void syncAll(String dbname, long posId) { }
}
