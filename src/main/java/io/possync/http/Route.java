package io.possync.http;

import com.google.gson.JsonObject;
import java.util.concurrent.CompletableFuture;

/**
 * One JSON-RPC endpoint. It receives the {@code params} object and who sent them (already
 * admitted by the access rules) and completes with the JSON text
 * of the {@code result}, or exceptionally ({@link RpcException} for a chosen error). The router
 * cancels the future when the client goes away.
 */
@FunctionalInterface
interface Route {
  CompletableFuture<String> call(JsonObject params, Caller caller);
}
