package io.possync.http;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import io.possync.pipeline.CommitFailedException;
import io.possync.sync.InvalidMessageException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads JSON-RPC calls, dispatches them by path and writes the envelope. Works asynchronously end
 * to end: the body is read without blocking and a parked poll holds no thread.
 *
 * <p>Every exchange ends exactly once, with one explicit last write ({@link #write}) or, when the
 * client went away, {@code callback.failed}; nothing touches the request or response after that
 * (JettyHardening). Which thread writes (docs/architecture.md, "Threads"):
 * <ul>
 *   <li>refusals, malformed calls and answers known at once (an at-once poll): the Jetty thread
 *       that read the body;</li>
 *   <li>updates and PINGs: the commit writer ({@code possync-commit}), which completes their
 *       futures after the commit; a held poll woken by a publication: the commit writer too,
 *       inside {@code Bus.append};</li>
 *   <li>a held poll that timed out: the timer thread ({@code possync-timers}).</li>
 * </ul>
 */
final class RpcRouter extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(RpcRouter.class);
  private static final Pattern EMPTY_SEGMENTS = Pattern.compile("/{2,}");

  private final String pathPrefix;
  private final Map<String, Route> routes;
  private final int maxBodyBytes;
  private final int maxDepth;
  private final AccessControl access;
  private final RequestLimits limits;
  private final RequestListener listener;

  RpcRouter(String pathPrefix, Map<String, Route> routes, int maxBodyBytes, int maxDepth,
      AccessControl access, RequestLimits limits, RequestListener listener) {
    this.listener = listener;
    this.pathPrefix = pathPrefix;
    this.routes = Map.copyOf(routes);
    this.maxBodyBytes = maxBodyBytes;
    this.maxDepth = maxDepth;
    this.access = access;
    this.limits = limits;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = routePath(Request.getPathInContext(request));
    // Counted under the route the path names, also when it is refused before being admitted.
    String label = label(path);
    if (JettyHardening.ambiguous(request.getHttpURI())) {
      return refuse(request, response, callback, label, RpcError.badRequest(
          "The path is ambiguous or badly encoded: " + request.getHttpURI().getViolations()));
    }
    if (!HttpMethod.POST.is(request.getMethod())) {
      return refuse(request, response, callback, label, RpcError.methodNotAllowed());
    }
    if (request.getLength() > maxBodyBytes) {
      return refuse(request, response, callback, label, tooLarge());
    }
    String address = Request.getRemoteAddr(request);
    if (!limits.admit(address, System.currentTimeMillis())) {
      limits.logRefusal(address, "over limits.requests_per_second");
      return refuse(request, response, callback, label,
          RpcError.tooManyRequests("Too many requests from this address; slow down."));
    }
    Route route = null;
    Caller caller = null;
    if (path != null) { // outside the prefix there is no route (404 below)
      try {
        AccessControl.Admission admission =
            access.admit(path, request.getHeaders().get(HttpHeader.COOKIE));
        route = routes.get(admission.route());
        caller = new Caller(address, admission.grant());
      } catch (RpcException refused) {
        limits.logRefusal(address, refused.error.detail());
        return refuse(request, response, callback, label, refused.error);
      }
    }
    Route chosen = route;
    Caller who = caller;
    RequestBodies.read(request, maxBodyBytes,
        body -> dispatch(request, response, callback, label, chosen, who, body),
        // Over the limit without a Content-Length (chunked): a refusal like the others.
        () -> {
          JettyHardening.closeAfter(response);
          send(response, callback, label, JsonNull.INSTANCE, tooLarge());
        },
        // Broken framing (a bad chunk size...), or the client went away: then the answer is lost.
        // Either way the connection cannot carry another request.
        failure -> {
          JettyHardening.closeAfter(response);
          send(response, callback, label, JsonNull.INSTANCE,
              RpcError.badRequest("The request body could not be read: " + failure.getMessage()));
        });
    return true;
  }

  /**
   * Refuses without reading the request, once its body is read away (RequestBodies), and ends
   * the connection after the refusal (a narrow workaround, see JettyHardening#closeAfter).
   */
  private boolean refuse(Request request, Response response, Callback callback, String label,
      RpcError error) {
    RequestBodies.drainThen(request, () -> {
      JettyHardening.closeAfter(response);
      send(response, callback, label, JsonNull.INSTANCE, error);
    });
    return true;
  }

  private void dispatch(Request request, Response response, Callback callback, String label,
      Route route, Caller caller, byte[] body) {
    JsonElement id = JsonNull.INSTANCE;
    try {
      JsonRpcBody.Call call = JsonRpcBody.parse(body, maxDepth);
      id = call.id();
      if (route == null) {
        send(response, callback, label, id, RpcError.notFound());
        return;
      }
      CompletableFuture<String> result = route.call(call.params(), caller);
      request.addFailureListener(failure -> result.cancel(false));
      JsonElement answerId = id;
      // Runs on the thread that completes the route's future (see the class comment).
      result.whenComplete((json, failure) -> {
        if (failure == null) {
          listener.answered(label, "ok");
          write(response, callback, 200, JsonRpcBody.result(answerId, json));
        } else if (!(failure instanceof CancellationException)) {
          send(response, callback, label, answerId, toError(failure));
        } else {
          // Jetty failed the exchange (the client went away); failing the callback is the end
          // Jetty expects then, and nothing is written.
          listener.answered(label, "cancelled");
          callback.failed(failure);
        }
      });
    } catch (RuntimeException e) {
      JsonElement known = e instanceof RpcException r && r.id != null ? r.id : id;
      if (e instanceof RpcException r && r.error.httpStatus() == 403) {
        limits.logRefusal(caller.address(), r.error.detail());
        JettyHardening.closeAfter(response); // a refusal (a channel of another multi-session)
      }
      send(response, callback, label, known, toError(e));
    }
  }

  /**
   * The metrics label of a route path: the route it names (capability-token paths end with
   * theirs), else {@code other}. Bounded, whatever clients send.
   */
  private String label(String path) {
    if (path != null) {
      for (String route : routes.keySet()) {
        if (path.endsWith(route)) {
          return route;
        }
      }
    }
    return "other";
  }

  /**
   * The route part of the path: the configured prefix removed and runs of slashes folded (a
   * {@code sync_server} with a trailing slash makes the client ask for {@code //longpolling/poll}).
   */
  private String routePath(String path) {
    String p = path == null ? "/" : path;
    if (p.contains("//")) {
      p = EMPTY_SEGMENTS.matcher(p).replaceAll("/");
    }
    if (!pathPrefix.isEmpty()) {
      if (!p.startsWith(pathPrefix + "/")) {
        return null;
      }
      p = p.substring(pathPrefix.length());
    }
    return p;
  }

  private RpcError tooLarge() {
    return RpcError.tooLarge("The request body is larger than " + maxBodyBytes + " bytes.");
  }

  private static RpcError toError(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RpcException r) {
      return r.error;
    }
    if (t instanceof InvalidMessageException) {
      return RpcError.invalidParams(t.getMessage());
    }
    if (t instanceof CommitFailedException) {
      // Logged once per failed commit by the writer (a store that cannot be read shows in
      // /readyz and the cluster's logs); no stack trace per request.
      return RpcError.storeUnavailable(
          "The change could not be stored (disk full, I/O error or database unreachable); it"
              + " was not applied.");
    }
    LOG.error("event=server_fault error={}", t.toString(), t);
    return RpcError.serverError("The server failed to process the request; it was not applied.");
  }

  /** Answers an error and counts it by its name (without the module: {@code InvalidParams}). */
  private void send(Response response, Callback callback, String label, JsonElement id,
      RpcError error) {
    listener.answered(label, error.name().substring(error.name().lastIndexOf('.') + 1));
    write(response, callback, error.httpStatus(), JsonRpcBody.error(id, error));
  }

  /** Writes a JSON-RPC envelope as the whole answer (also for {@link JsonErrorHandler}). */
  static void write(Response response, Callback callback, int status, String body) {
    byte[] bytes = JsonRpcBody.utf8(body);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }
}
