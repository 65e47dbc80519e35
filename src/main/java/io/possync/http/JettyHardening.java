package io.possync.http;

import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.internal.HttpConnection;
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
 *   <li>HTTP/1 connections are made by {@link #http1}: Jetty never reads one on two threads.</li>
 * </ul>
 */
final class JettyHardening {
  private JettyHardening() {}

  /** A server with Jetty's default pooled buffers. */
  static Server server(QueuedThreadPool threads) {
    return new Server(threads);
  }

  /**
   * HTTP/1 connections that Jetty never reads on two threads at once.
   *
   * <p>Jetty 12.1 can: when it cannot parse a request, it writes the 400 on a second thread, whose
   * completion resumes reading the connection on a third thread while the first is still in its
   * read loop; the first then releases the connection's pooled request buffer while the third
   * fills it. From the pool the buffer goes to another connection, and the late fill rewinds it
   * there: that connection parses its last request again (its client gets the same answer twice,
   * then every answer one request late) or a mix of two requests. Seen in PosSync's fuzz runs and
   * in {@code JettyBadMessageTest} without PosSync (docs/jetty.md, fault 2). Here a resumed read
   * waits until the read it would overlap has left; that takes microseconds (the first thread
   * only releases the buffer and returns), and the buffers stay pooled.
   */
  static HttpConnectionFactory http1(HttpConfiguration http) {
    return new HttpConnectionFactory(http) {
      @Override
      public Connection newConnection(Connector connector, EndPoint endPoint) {
        HttpConnection connection = new OneReaderAtATime(getHttpConfiguration(), connector,
            endPoint);
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
      }
    };
  }

  /** Jetty's HTTP/1 connection whose read loop runs on one thread at a time (see {@link #http1}). */
  static final class OneReaderAtATime extends HttpConnection {
    private final ReentrantLock reading = new ReentrantLock();

    OneReaderAtATime(HttpConfiguration http, Connector connector, EndPoint endPoint) {
      super(http, connector, endPoint);
    }

    @Override
    public void onFillable() {
      reading.lock(); // reentrant: Jetty reads on in the same thread when its executor is full
      try {
        super.onFillable();
      } finally {
        reading.unlock();
      }
    }
  }

  /**
   * The HTTP configuration: persistent connections (Jetty's default); every URI let through to
   * our handlers, which refuse the dubious ones themselves ({@link #ambiguous}): when Jetty
   * refused them, its error path completed after the exchange and logged "channel already
   * completed" for each.
   */
  static HttpConfiguration httpConfiguration() {
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    // Jetty caches the headers a connection has carried (~100 KB a connection): with thousands of
    // terminals each holding a poll connection that alone would fill the heap.
    http.setHeaderCacheSize(0);
    http.setPersistentConnectionsEnabled(true);
    http.setUriCompliance(UriCompliance.UNSAFE);
    return http;
  }

  /**
   * Marks an answer to end its connection: for refusals only (403, 405, 413, 429, a bad path),
   * never for normal traffic. Once a workaround for anomalies on reused sockets after 403s whose
   * cause was not pinned down (possibly the request-buffer race {@link #http1} avoids; not
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
