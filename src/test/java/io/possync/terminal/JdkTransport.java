package io.possync.terminal;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * java.net.http under the terminals: HTTP/1.1 like the POS's XHRs, one connection per request in
 * flight (a held poll needs one each). Idle connections are kept
 * {@code jdk.httpclient.keepalive.timeout} seconds (1200 by default), longer than PosSync keeps
 * them, so long runs should lower that property.
 */
final class JdkTransport implements HttpTransport {
  private static final String ACCEPT = "application/json, text/javascript, */*; q=0.01";

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  @Override
  public CompletableFuture<Reply> post(URI uri, String body, Duration timeout) {
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Accept", ACCEPT)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    CompletableFuture<HttpResponse<String>> exchange =
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    CompletableFuture<Reply> reply =
        exchange.thenApply(r -> new Reply(r.statusCode(), r.body()));
    reply.whenComplete((r, e) -> {
      if (reply.isCancelled() && !exchange.isDone()) {
        exchange.cancel(true);
      }
    });
    return reply;
  }

  @Override
  public void close() {
    // java.net.http has no close() before Java 21; its threads are daemons.
  }
}
