package io.possync.terminal;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP client under the terminals of one {@link TerminalRuntime}: POSTs a JSON body and hands
 * back status and body. Two implementations: java.net.http (the default, what the scenario tests
 * use) and Jetty's client (much cheaper per request, for load runs). See
 * {@link TerminalRuntime.Client}.
 */
interface HttpTransport extends AutoCloseable {
  /** Status and body of an answer. */
  record Reply(int status, String body) {}

  /**
   * POSTs {@code body} as {@code application/json}. The future fails when the exchange fails;
   * after {@code timeout} with an exception that {@link #isTimeout} recognizes. Cancelling the
   * future aborts the exchange and lets go of its connection.
   */
  CompletableFuture<Reply> post(URI uri, String body, Duration timeout);

  @Override
  void close();

  /** Whether a failure is the client-side timeout of a request (either implementation). */
  static boolean isTimeout(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.http.HttpTimeoutException
          || t instanceof java.util.concurrent.TimeoutException) {
        return true;
      }
    }
    return false;
  }
}
