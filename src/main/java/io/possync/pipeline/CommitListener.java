package io.possync.pipeline;

/**
 * What the single writer reports to whoever counts (the metrics, bound by the wiring): each group
 * commit with its size and duration. Called on the writer thread, so it must be cheap.
 */
public interface CommitListener {
  /** Reports nothing. */
  CommitListener NONE = new CommitListener() { };

  /** One transaction made {@code outcomes} outcomes durable in {@code nanos}. */
  default void committed(int outcomes, long nanos) { }

  /** A transaction of {@code outcomes} outcomes failed; none of them was acknowledged. */
  default void commitFailed(int outcomes) { }
}
