package io.possync.http;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * How both listeners (POS and admin) set up Jetty 12.1. Each setting works around a fault that
 * FuzzTest found in Jetty 12.1.13 and 12.1.14 under keep-alive reuse; docs/protocol-decisions.md
 * ("Connections") tells the story.
 */
final class JettyHardening {
  private JettyHardening() {}

  /**
   * A server whose buffers are never pooled. Jetty could release a connection's request buffer
   * once too often (its open issue 12939: "already released" from
   * {@code HttpConnection.releaseRequestBuffer}); with a pool the buffer went back into use while
   * its connection still parsed from it, and a request was handled twice, its answer landing on
   * the client's next request. Unpooled, such a buffer is simply dropped.
   */
  static Server server(QueuedThreadPool threads) {
    return new Server(threads, null, ByteBufferPool.NON_POOLING);
  }

  /**
   * The HTTP configuration: one exchange per HTTP/1.x connection, so no request is ever parsed
   * from a buffer an earlier exchange left behind (HTTP/2 multiplexes and is not affected); every
   * URI let through to our handlers, which refuse the dubious ones themselves ({@link
   * #ambiguous}): when Jetty refused them, its error path completed after the exchange and logged
   * "channel already completed" for each.
   */
  static HttpConfiguration httpConfiguration() {
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    // Jetty caches the headers a connection has carried (~100 KB a connection): with thousands of
    // terminals each holding a poll connection that alone would fill the heap.
    http.setHeaderCacheSize(0);
    http.setPersistentConnectionsEnabled(false);
    http.setUriCompliance(UriCompliance.UNSAFE);
    return http;
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
