package io.possync.http;

import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Retainable;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * How both listeners (POS and admin) set up Jetty 12.1: persistent HTTP/1.1 connections and
 * pooled buffers, and the rules every handler here keeps so that reusing a connection is safe
 * (docs/jetty.md):
 * <ul>
 *   <li>every answer ends with one explicit last write, {@code response.write(true, ...)}, never
 *       with {@code callback.succeeded()} alone: then Jetty writes the end itself and marks the
 *       send complete before that write's completion has run; the completion can land on the
 *       connection's next exchange and fail it ({@code JettyLastWriteTest} shows it);</li>
 *   <li>a request's body is read to its end before the answer (see {@link RequestBodies});</li>
 *   <li>nothing touches a request or response once its callback completed;</li>
 *   <li>request buffers are never pooled ({@link #server}).</li>
 * </ul>
 */
final class JettyHardening {
  private JettyHardening() {}

  /**
   * A server whose buffers are pooled, except the buffers HTTP/1 connections read requests into.
   *
   * <p>Jetty 12.1 can release a connection's request buffer while another of its threads still
   * fills it: when it cannot parse a request, it writes the 400 on a second thread, whose
   * completion resumes reading the connection on a third thread while the first is still in its
   * read loop and then releases the buffer. From the pool the buffer goes to another connection,
   * and the late read rewinds it there: that connection parses its last request again (its
   * client gets the same answer twice, then every answer one request late) or a mix of two
   * requests. Seen in PosSync's fuzz runs and in {@code JettyBadMessageTest} without PosSync.
   * Unpooled, a buffer released too early is only garbage: the late read harms no one else.
   * Request buffers are told apart by their kind and size ({@link #httpConfiguration}: heap,
   * {@link #REQUEST_BUFFER_BYTES}); everything else (response headers, TLS) stays pooled.
   */
  static Server server(QueuedThreadPool threads) {
    return new Server(threads, null, new RequestBuffersUnpooled(new ArrayByteBufferPool()));
  }

  /** The size of the buffer an HTTP/1 connection reads requests into (Jetty's default). */
  static final int REQUEST_BUFFER_BYTES = 8192;

  /** Gives request buffers fresh from the heap and pools every other buffer. */
  static final class RequestBuffersUnpooled extends ByteBufferPool.Wrapper {
    RequestBuffersUnpooled(ByteBufferPool pooled) {
      super(pooled);
    }

    @Override
    public RetainableByteBuffer.Mutable acquire(int size, boolean direct) {
      return !direct && size == REQUEST_BUFFER_BYTES
          ? RetainableByteBuffer.wrap(BufferUtil.allocate(size), new ForgivingCount())
          : super.acquire(size, direct);
    }
  }

  /**
   * Jetty's reference count, except that releasing a buffer nobody holds any more is ignored
   * rather than thrown: in the race {@link #server} describes, both threads release the request
   * buffer, and the second release would be logged as a failed job with its stack trace. For a
   * buffer that goes to no pool the second release is harmless.
   */
  static final class ForgivingCount implements Retainable {
    private final AtomicInteger references = new AtomicInteger(1);

    @Override
    public boolean canRetain() {
      return true;
    }

    @Override
    public void retain() {
      references.incrementAndGet();
    }

    @Override
    public boolean release() {
      return references.updateAndGet(n -> Math.max(0, n - 1)) == 0;
    }

    @Override
    public boolean isRetained() {
      return references.get() > 1;
    }

    @Override
    public int getRetained() {
      return references.get();
    }
  }

  /**
   * The HTTP configuration: persistent connections (Jetty's default); requests read into heap
   * buffers, which {@link #server} never pools; every URI let through to our handlers, which
   * refuse the dubious ones themselves ({@link #ambiguous}): when Jetty refused them, its error
   * path completed after the exchange and logged "channel already completed" for each.
   */
  static HttpConfiguration httpConfiguration() {
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    // Jetty caches the headers a connection has carried (~100 KB a connection): with thousands of
    // terminals each holding a poll connection that alone would fill the heap.
    http.setHeaderCacheSize(0);
    http.setPersistentConnectionsEnabled(true);
    http.setInputBufferSize(REQUEST_BUFFER_BYTES);
    http.setUseInputDirectByteBuffers(false);
    http.setUriCompliance(UriCompliance.UNSAFE);
    return http;
  }

  /**
   * Marks an answer to end its connection: for refusals only (403, 405, 413, 429, a bad path),
   * never for normal traffic. Once a workaround for anomalies on reused sockets after 403s whose
   * cause was not pinned down (possibly the request-buffer race {@link #server} avoids; not
   * checked, docs/jetty.md); kept because refusals are rare in real traffic and a refused client
   * paying a reconnect costs nothing.
   */
  static void closeAfter(Response response) {
    response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
  }

  /**
   * Ends an answer that has no body with the explicit last write the class comment asks for, in
   * place of {@code callback.succeeded()} alone.
   */
  static void endEmpty(Response response, Callback callback) {
    response.write(true, BufferUtil.EMPTY_BUFFER, callback);
  }

  /**
   * Whether the URI has a violation other than empty segments (which arrive when
   * {@code sync_server} ends in a slash, and which the POS router folds): {@code %2F},
   * {@code %2e%2e}, {@code %00}, bad UTF-8...
   */
  static boolean ambiguous(HttpURI uri) {
    return uri.hasViolations() && uri.getViolations().stream()
        .anyMatch(v -> v != UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT);
  }

  /** The status of a request Jetty refused before any handler ran (its error handler's view). */
  static int refusalStatus(Request request, Response response) {
    return request.getAttribute(ErrorHandler.ERROR_EXCEPTION) instanceof HttpException e
        ? e.getCode() : response.getStatus();
  }
}
