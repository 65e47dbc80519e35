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

  /**
   * The answer to a multi-session request arrived (before the terminal handles it).
   *
   * @param action        as in {@link #onRequestSent}
   * @param orderUid      as in {@link #onRequestSent}
   * @param nonce         as in {@link #onRequestSent}: pairs the answer with its request
   * @param ok            a JSON-RPC result came back (a {@code revision_error} result counts as
   *                      ok); false for transport failures and JSON-RPC errors
   * @param answeredNanos {@link System#nanoTime()} when the answer reached the terminal
   */
  default void onAnswer(VirtualTerminal terminal, String action, String orderUid, String nonce,
      boolean ok, long answeredNanos) {}
}
