package io.possync.http;

/**
 * What the POS listener reports to whoever counts (the metrics, bound by the wiring). Called on
 * request threads, so it must be cheap and thread-safe. Label values are bounded: routes are the
 * three route paths or {@code other}, actions the three of the protocol or {@code other}.
 */
public interface RequestListener {
  /** Reports nothing. */
  RequestListener NONE = new RequestListener() { };

  /**
   * A request was finished.
   *
   * @param route   its route path ({@code /longpolling/poll}, ...) or {@code other}
   * @param outcome {@code ok}, {@code cancelled} (the client went away) or the error's name
   *                without its module ({@code InvalidParams}, {@code Forbidden}, ...)
   */
  default void answered(String route, String outcome) { }

  /**
   * An update was decided and committed, {@code nanos} after it was read.
   *
   * @param action {@code update_order}, {@code sync_all}, {@code remove_order} or {@code other}
   */
  default void updated(String action, long nanos) { }

  /** An update was answered with a revision conflict ({@code revision_error}). */
  default void revisionError(String action) { }

  /** A late update was merged with the changes made meanwhile (docs/conflicts.md). */
  default void merged() { }

  /** A terminal asked for a full resync ({@code sync_all}) and got it. */
  default void syncAll(String dbname, long posId) { }
}
