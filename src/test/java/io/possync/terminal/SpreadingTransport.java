package io.possync.terminal;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A load balancer without stickiness in front of a cluster: every request addressed to one of the
 * nodes goes to a node picked at random for that request alone, with the same path (so a path
 * prefix is kept). A terminal's update, its polls and its PINGs so land on different nodes, which
 * is what a cluster must cope with. Requests to any other address go where they are addressed.
 */
final class SpreadingTransport implements HttpTransport {
  private final HttpTransport http;
  /** The nodes' origins, {@code scheme://host:port}. */
  private final List<String> origins;

  /**
   * @param http  the transport that sends the requests
   * @param nodes the nodes' base URIs; only their scheme, host and port are used
   */
  SpreadingTransport(HttpTransport http, List<URI> nodes) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no node to spread requests over");
    }
    this.http = http;
    this.origins = nodes.stream().map(SpreadingTransport::origin).distinct().toList();
  }

  @Override
  public CompletableFuture<Reply> post(URI uri, String body, Duration timeout) {
    return http.post(spread(uri), body, timeout);
  }

  /** {@code uri} on a node picked at random, if it is addressed to one of the nodes. */
  URI spread(URI uri) {
    if (!origins.contains(origin(uri))) {
      return uri;
    }
    String node = origins.get(ThreadLocalRandom.current().nextInt(origins.size()));
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    return URI.create(node + uri.getRawPath() + query);
  }

  private static String origin(URI uri) {
    return uri.getScheme() + "://" + uri.getRawAuthority();
  }

  @Override
  public void close() {
    http.close();
  }
}
