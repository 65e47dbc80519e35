package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonParser;
import io.possync.testing.Pos;
import io.possync.testing.PrometheusText;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import io.possync.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric that {@code docs/alerts.yml} and {@code docs/grafana-dashboard.json} use is one a
 * real node exposes: a renamed meter, or a typo in a rule, fails here instead of never firing.
 */
class MonitoringDocsTest {
  /** Metric names in PromQL: ours, the JVM's and the disk's, plus Prometheus's own {@code up}. */
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:possync|jvm|process|disk)_[a-z_]+)");

  @TempDir
  Path tmp;

  @Test
  void theAlertRulesAndTheDashboardUseOnlyMetricsThatExist() throws Exception {
    Path password = Files.writeString(tmp.resolve("odoo.pw"), "secret\n");
    String scrape;
    try (TestNode node = TestNode.start(Map.of("odoo.shop.url", "http://127.0.0.1:"
            + ServerProcess.freePort(), "odoo.shop.database", "odoo", "odoo.shop.login",
        "possync", "odoo.shop.password_file", password.toString(), "odoo.connect_timeout", "1",
        "outbox.retry_min", "60", "outbox.retry_max", "60"))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      rpc.call("/pos_multi_session_sync/update", Pos.update("odoo", 1, 1, Pos.syncAll(1, 1,
          false)));
      var paid = Pos.removeOrder(1, "00001-001-0001", 1, 1, "paid-1");
      paid.getAsJsonObject("data").addProperty("order_data", "{\"id\":\"00001-001-0001\","
          + "\"data\":{\"name\":\"Order 00001-001-0001\",\"uid\":\"00001-001-0001\"}}");
      rpc.call("/pos_multi_session_sync/update", Pos.update("odoo", 1, 1, paid));
      await().atMost(Duration.ofSeconds(10)).until(() -> PrometheusText.parse(
          node.node().metrics().scrape()).matching("possync_outbox_failures_total").size() > 0);
      rpc.call("/longpolling/poll", Pos.poll("odoo", 1, node.node().bus().lastId()));
      scrape = node.node().metrics().scrape();
    }
    Set<String> exposed = PrometheusText.parse(scrape).samples().stream()
        .map(PrometheusText.Sample::name).collect(Collectors.toCollection(TreeSet::new));

    String alerts = Files.readString(Path.of("docs", "alerts.yml"));
    String dashboard = Files.readString(Path.of("docs", "grafana-dashboard.json"));
    JsonParser.parseString(dashboard); // valid JSON, as Grafana imports it
    Set<String> used = new TreeSet<>();
    for (String doc : new String[] {alerts, dashboard}) {
      Matcher m = METRIC.matcher(doc);
      while (m.find()) {
        used.add(m.group(1));
      }
    }
    assertThat(used).as("metrics the rules and the dashboard use").hasSizeGreaterThan(10)
        .contains("possync_outbox_oldest_pending_age_seconds", "possync_requests_total");
    assertThat(exposed).containsAll(used);
  }
}
