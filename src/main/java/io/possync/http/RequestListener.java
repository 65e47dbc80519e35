package io.possync.http;

/**
 * What the POS listener reports to whoever counts (the metrics, bound by the wiring). Called on
 * request threads, so it must be cheap and thread-safe. Label values are bounded: routes are the
 * three route paths or {@code other}.
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

}
