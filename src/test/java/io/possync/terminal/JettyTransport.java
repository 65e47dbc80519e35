package io.possync.terminal;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty's asynchronous HTTP/1.1 client under the terminals. Per request it costs a fraction of
 * what java.net.http costs, which matters when thousands of terminals share two cores with the
 * server under test. One connection per request in flight, no limit per destination (every
 * terminal holds a poll); idle connections are closed after 70 s, before PosSync would close them
 * (poll timeout + 30 s), so a POST never goes out on a connection the server already dropped.
 */
final class JettyTransport implements HttpTransport {
  private static final String ACCEPT = "application/json, text/javascript, */*; q=0.01";
  private static final long IDLE_TIMEOUT_MS = 70_000;
  private static final int MAX_BODY = 64 << 20;

  private final HttpClient http;

  JettyTransport(int threads) {
    QueuedThreadPool pool = new QueuedThreadPool(Math.max(4, threads), 2);
    pool.setName("terminal-http");
    pool.setDaemon(true);
    ClientConnector connector = new ClientConnector();
    connector.setSelectors(1);
    connector.setConnectTimeout(Duration.ofSeconds(5));
    connector.setIdleTimeout(Duration.ofMillis(IDLE_TIMEOUT_MS));
    connector.setExecutor(pool);
    http = new HttpClient(new HttpClientTransportOverHTTP(connector));
    http.setExecutor(pool);
    http.setMaxConnectionsPerDestination(1 << 20);
    http.setMaxRequestsQueuedPerDestination(1 << 20);
    http.setIdleTimeout(IDLE_TIMEOUT_MS);
    http.setFollowRedirects(false);
    http.setUserAgentField(null);
    try {
      http.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start Jetty's HttpClient", e);
    }
  }

  @Override
  public CompletableFuture<Reply> post(URI uri, String body, Duration timeout) {
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    Request request = http.newRequest(uri)
        .method(HttpMethod.POST)
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .headers(h -> h.put(HttpHeader.ACCEPT, ACCEPT))
        .body(new BytesRequestContent("application/json",
            body.getBytes(StandardCharsets.UTF_8)));
    request.send(new BufferingResponseListener(MAX_BODY) {
      @Override
      public void onComplete(Result result) {
        if (result.isFailed()) {
          reply.completeExceptionally(result.getFailure());
        } else {
          reply.complete(new Reply(result.getResponse().getStatus(),
              getContentAsString(StandardCharsets.UTF_8)));
        }
      }
    });
    reply.whenComplete((r, e) -> {
      if (reply.isCancelled()) {
        request.abort(new CancellationException("aborted"));
      }
    });
    return reply;
  }

  @Override
  public void close() {
    try {
      http.stop();
    } catch (Exception e) {
      // closing anyway
    }
  }
}
