package io.possync.testing;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plain JSON-RPC client over real HTTP, sending what a POS browser sends (docs/protocol.md §2.1–2.2).
 */
public final class RpcClient {
  private static final AtomicLong IDS = new AtomicLong(1);

  private final HttpClient http;
  private final URI base;

  public RpcClient(URI base) {
    this(base, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
  }

  public RpcClient(URI base, HttpClient http) {
    this.base = base;
    this.http = http;
  }

  /** An answer: HTTP status and parsed body. */
  public record Answer(int status, JsonElement body) {
    public JsonElement result() {
      return body.getAsJsonObject().get("result");
    }

    public boolean isError() {
      return body.isJsonObject() && body.getAsJsonObject().has("error");
    }

    public JsonObject error() {
      return body.getAsJsonObject().getAsJsonObject("error");
    }
  }

  /** Wraps params in the envelope the POS sends, with a fresh id. */
  public static String envelope(JsonElement params) {
    return "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":" + params + ",\"id\":"
        + IDS.getAndIncrement() + "}";
  }

  public Answer call(String path, JsonElement params) throws IOException, InterruptedException {
    return post(path, envelope(params));
  }

  public CompletableFuture<Answer> callAsync(String path, JsonElement params) {
    return postAsync(path, envelope(params));
  }

  /** Posts a raw body, exactly as given. */
  public Answer post(String path, String body) throws IOException, InterruptedException {
    return post(path, body, Map.of());
  }

  public CompletableFuture<Answer> postAsync(String path, String body) {
    return postAsync(path, body, Map.of());
  }

  /** Posts a raw body with extra request headers (e.g. the reference's {@code phantomtest}). */
  public Answer post(String path, String body, Map<String, String> headers)
      throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request(path, body, headers),
        HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), JsonParser.parseString(r.body()));
  }

  public CompletableFuture<Answer> postAsync(String path, String body,
      Map<String, String> headers) {
    return http.sendAsync(request(path, body, headers), HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> new Answer(r.statusCode(), JsonParser.parseString(r.body())));
  }

  private HttpRequest request(String path, String body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(70))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/javascript, */*; q=0.01");
    headers.forEach(b::header);
    return b.POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }
}
