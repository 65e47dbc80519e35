package io.possync.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.testing.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admin listener of a cluster node: /api/status shows every node with its heartbeat and
 * which node delivers which outbox; /readyz asks the database; /metrics says it is a cluster node.
 */
class ClusterStatusTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void statusShowsEveryNodeAndReadinessAsksTheDatabase() throws Exception {
    try (TestCluster cluster = TestCluster.start(2, Map.of())) {
      URI admin = cluster.node(0).adminUri();
      await().atMost(Duration.ofSeconds(10)).until(() -> nodeNames(status(admin)).size() == 2);
      JsonObject c = status(admin).getAsJsonObject("cluster");
      assertThat(c.get("node").getAsString()).isEqualTo("node1");
      assertThat(c.get("following").getAsBoolean()).isTrue();
      assertThat(nodeNames(status(admin))).containsExactly("node1", "node2");
      for (JsonElement n : c.getAsJsonArray("nodes")) {
        assertThat(n.getAsJsonObject().get("state").getAsString()).isEqualTo("up");
      }
      assertThat(get(admin, "/readyz").statusCode()).isEqualTo(200);
      assertThat(get(admin, "/metrics").body())
          .contains("possync_cluster_node_info{node=\"node1\"} 1")
          .contains("possync_cluster_bus_following 1.0");
      assertThat(c.get("error").isJsonNull()).isTrue();
    }
  }

  @Test
  void aSingleNodeHasNoClusterSection() throws Exception {
    try (var node = io.possync.testing.TestNode.start()) {
      assertThat(status(node.adminUri()).get("cluster").isJsonNull()).isTrue();
    }
  }

  private JsonObject status(URI admin) throws Exception {
    return JsonParser.parseString(get(admin, "/api/status").body()).getAsJsonObject();
  }

  private static List<String> nodeNames(JsonObject status) {
    List<String> names = new ArrayList<>();
    for (JsonElement n : status.getAsJsonObject("cluster").getAsJsonArray("nodes")) {
      names.add(n.getAsJsonObject().get("name").getAsString());
    }
    return names;
  }

  private HttpResponse<String> get(URI admin, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(admin.resolve(path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
