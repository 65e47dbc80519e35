package io.possync.http;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/** Reading away the body of a request that is answered without looking at it. */
final class RequestBodies {
  /** Largest body still read away before answering; beyond it the connection is given up. */
  static final long DRAIN_LIMIT = 64L << 20;

  private RequestBodies() {}

  /**
   * Reads the rest of the body away (up to {@link #DRAIN_LIMIT}) without blocking a thread, then
   * runs {@code then}, which answers. Every answer given without reading the body goes through
   * here:
   * <ul>
   *   <li>answering while the client is still sending would make the closing socket reset the
   *       connection, and the client would see a network error instead of the answer;</li>
   *   <li>a body left unread for Jetty to consume after the answer made Jetty 12.1.14 fail or
   *       misanswer the connection's next request (found by FuzzTest: a small chunked update after
   *       a 405 to an OPTIONS with a body was refused as too large).</li>
   * </ul>
   */
  static void drainThen(Request request, Runnable then) {
    new Runnable() {
      private long seen;

      @Override
      public void run() {
        while (true) {
          Content.Chunk chunk = request.read();
          if (chunk == null) {
            request.demand(this);
            return;
          }
          boolean done = Content.Chunk.isFailure(chunk) || chunk.isLast();
          seen += chunk.remaining();
          chunk.release();
          if (done || seen > DRAIN_LIMIT) {
            then.run();
            return;
          }
        }
      }
    }.run();
  }
}
