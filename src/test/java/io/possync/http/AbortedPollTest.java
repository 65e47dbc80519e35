package io.possync.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonParser;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The POS aborts its held poll whenever its channel list changes and re-polls at once
 * (docs/protocol.md §2.2). HTTP/1.1 gives the server no signal while it is silent, so an abandoned
 * poll is released by the next publish on its channels or at its timeout, and never disturbs
 * the client's new poll.
 */
class AbortedPollTest {
  private static final String CHANNEL = "[\\\"db\\\",\\\"pos.longpolling\\\",\\\"1\\\"]";
  private static final String POLL = "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":1,\"params\":"
      + "{\"channels\":[\"" + CHANNEL + "\"],\"last\":%d}}";

  @Test
  void anAbandonedPollIsReleasedByTheNextPublishAndTheNewPollGetsTheMessage() throws Exception {
    try (TestNode node = TestNode.start(Map.of("poll.timeout", "40"))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      hangUpAfterParking(node, String.format(POLL, 0));

      var fresh = rpc.postAsync("/longpolling/poll", String.format(POLL, 0));
      await().atMost(Duration.ofSeconds(5)).until(() -> node.node().bus().heldPolls() == 2);

      rpc.call("/pos_longpolling/update",
          JsonParser.parseString("{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"db\"}"));

      RpcClient.Answer answer = fresh.get();
      assertThat(answer.result().getAsJsonArray()).hasSize(1);
      assertThat(answer.result().getAsJsonArray().get(0).getAsJsonObject().get("message")
          .getAsString()).isEqualTo("PONG");
      await().atMost(Duration.ofSeconds(5)).until(() -> node.node().bus().heldPolls() == 0);
    }
  }

  @Test
  void anAbandonedPollIsReleasedAtItsTimeout() throws Exception {
    try (TestNode node = TestNode.start(Map.of("poll.timeout", "2"))) {
      hangUpAfterParking(node, String.format(POLL, 0));
      await().atMost(Duration.ofSeconds(6)).until(() -> node.node().bus().heldPolls() == 0);
      // The server is unharmed: a new poll is answered.
      RpcClient.Answer answer = new RpcClient(node.baseUri())
          .post("/longpolling/poll", String.format(POLL, 0));
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.result().isJsonArray()).isTrue();
    }
  }

  private static void hangUpAfterParking(TestNode node, String body) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    int before = node.node().bus().heldPolls();
    try (Socket socket = new Socket("127.0.0.1", node.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /longpolling/poll HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      await().atMost(Duration.ofSeconds(5))
          .until(() -> node.node().bus().heldPolls() == before + 1);
    }
  }
}
