package io.possync.http;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * Reading request bodies without blocking a thread while bytes are on their way. Every answer
 * waits until its request's body has been read to its end:
 * <ul>
 *   <li>answering while the client is still sending would make the closing socket reset the
 *       connection, and the client would see a network error instead of the answer;</li>
 *   <li>a body left unread for Jetty to consume after the answer disturbed the connection's next
 *       request (found by FuzzTest: a small chunked update after a 405 to an OPTIONS with a body
 *       was refused as too large).</li>
 * </ul>
 *
 * <p>Not {@code Content.Source.asByteArrayAsync}: over its limit that one fails the request only
 * after its callback returned, when the 413 may already be sent. A plain {@link Runnable} is a
 * blocking task for Jetty, so what runs after the read (parsing, deciding) never runs on a
 * selector thread.
 */
final class RequestBodies {
  /** Largest body still read away before answering; beyond it the connection is given up. */
  static final long DRAIN_LIMIT = 64L << 20;

  private RequestBodies() {}

  /** Reads the body away (up to {@link #DRAIN_LIMIT}), then runs {@code then}, which answers. */
  static void drainThen(Request request, Runnable then) {
    read(request, 0, body -> then.run(), then, failure -> then.run());
  }

  /**
   * Reads the body and hands it to {@code then}. A body over {@code limit} is read away up to
   * {@link #DRAIN_LIMIT}, then {@code tooLarge} runs; broken framing (a bad chunk size) or a
   * client that went away goes to {@code broken}.
   */
  static void read(Request request, int limit, Consumer<byte[]> then, Runnable tooLarge,
      Consumer<Throwable> broken) {
    new Reader(request, limit, then, tooLarge, broken).run();
  }

  private static final class Reader implements Runnable {
    private final Request request;
    private final int limit;
    private final Consumer<byte[]> then;
    private final Runnable tooLarge;
    private final Consumer<Throwable> broken;
    private byte[] buffer;
    private int length;
    private long seen;

    Reader(Request request, int limit, Consumer<byte[]> then, Runnable tooLarge,
        Consumer<Throwable> broken) {
      this.request = request;
      this.limit = limit;
      this.then = then;
      this.tooLarge = tooLarge;
      this.broken = broken;
      long declared = request.getLength();
      this.buffer = new byte[(int) Math.min(limit, declared > 0 ? declared : 8192)];
    }

    @Override
    public void run() {
      while (true) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this); // runs this again when bytes arrive
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          broken.accept(chunk.getFailure());
          return;
        }
        ByteBuffer bytes = chunk.getByteBuffer();
        int n = bytes.remaining();
        seen += n;
        if (buffer != null && seen <= limit) {
          if (length + n > buffer.length) {
            buffer = Arrays.copyOf(buffer,
                (int) Math.min(limit, Math.max(length + n, 2L * buffer.length)));
          }
          bytes.get(buffer, length, n);
          length += n;
        } else {
          buffer = null; // over the limit: the rest is only counted away
        }
        boolean last = chunk.isLast();
        chunk.release();
        if (buffer == null && (last || seen > DRAIN_LIMIT)) {
          tooLarge.run();
          return;
        }
        if (last) {
          then.accept(length == buffer.length ? buffer : Arrays.copyOf(buffer, length));
          return;
        }
      }
    }
  }
}
