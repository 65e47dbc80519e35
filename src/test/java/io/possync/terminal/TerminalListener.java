package io.possync.terminal;

/**
 * Observes a virtual terminal's traffic, e.g. to measure fan-out latency. Called on the runtime's
 * worker threads (a request may also be reported on the thread that started the terminal);
 * implementations must be quick, thread-safe and must not wait for the terminal.
 */
public interface TerminalListener {
  /** A multi-session message arrived from the bus (before the terminal processes it). */
  default void onMessage(VirtualTerminal terminal, ReceivedMessage message) {}

  /**
   * A multi-session request is being sent.
   *
   * @param action    {@code update_order}, {@code remove_order} or {@code sync_all}
   * @param orderUid  {@code data.uid}, or null for sync_all
   * @param nonce     the request's fresh {@code data.nonce}
   * @param sentNanos {@link System#nanoTime()} just before the HTTP request left
   */
  default void onRequestSent(VirtualTerminal terminal, String action, String orderUid,
      String nonce, long sentNanos) {}
}
