package io.possync.terminal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the load balancer of the cluster scenarios does with each request's address. */
class SpreadingTransportTest {
  private final List<URI> sent = new CopyOnWriteArrayList<>();
  private final HttpTransport recorder = new HttpTransport() {
    @Override
    public CompletableFuture<Reply> post(URI uri, String body, Duration timeout) {
      sent.add(uri);
      return CompletableFuture.completedFuture(new Reply(200, "{}"));
    }

    @Override
    public void close() {}
  };
  private final SpreadingTransport spreading = new SpreadingTransport(recorder,
      List.of(URI.create("http://127.0.0.1:8001/possync"), URI.create("http://127.0.0.1:8002"),
          URI.create("http://127.0.0.1:8003")));

  @Test
  void requestsToANodeGoToEveryNodeWithTheirPathKept() {
    for (int i = 0; i < 200; i++) {
      spreading.post(URI.create("http://127.0.0.1:8002/possync/longpolling/poll?a=%20b"), "{}",
          Duration.ofSeconds(1));
    }
    Set<String> origins = sent.stream().map(u -> u.getScheme() + "://" + u.getRawAuthority())
        .collect(Collectors.toSet());
    assertThat(origins).containsExactlyInAnyOrder("http://127.0.0.1:8001",
        "http://127.0.0.1:8002", "http://127.0.0.1:8003");
    assertThat(sent).extracting(u -> u.getRawPath() + "?" + u.getRawQuery())
        .containsOnly("/possync/longpolling/poll?a=%20b");
  }

  @Test
  void requestsToAnyOtherAddressGoWhereTheyAreAddressed() {
    URI elsewhere = URI.create("http://127.0.0.1:9000/longpolling/poll");
    for (int i = 0; i < 20; i++) {
      spreading.post(elsewhere, "{}", Duration.ofSeconds(1));
    }
    assertThat(sent).containsOnly(elsewhere).hasSize(20);
  }
}
