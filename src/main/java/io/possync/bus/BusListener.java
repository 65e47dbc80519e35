package io.possync.bus;

/**
 * What the bus reports to whoever counts (the metrics, bound by the wiring): notifications made
 * pollable, and how long a parked poll waited between a publication and its answer. Called outside
 * the bus lock on the publishing thread, so it must be cheap and must not call into the bus.
 */
public interface BusListener {
  /** Reports nothing. */
  BusListener NONE = new BusListener() { };

  /** {@code count} notifications became pollable. */
  default void published(int count) { }

  /**
   * A parked poll was answered with notifications just published, {@code nanos} after the
   * publication began (fan-out latency).
   */
  default void delivered(long nanos) { }
}
