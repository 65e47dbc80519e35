package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.config.Settings;
import io.possync.testing.Pos;
import io.possync.testing.PostgresServer;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line as a new user types it: options after the subcommand, {@code help serve},
 * the defaults in {@code serve --help}, one version, and {@code token} on a fresh install.
 */
class CommandLineTest {
  @TempDir
  Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void helpServeIsTheHelpOfServe() {
    assertThat(run("help", "serve")).isZero();
    assertThat(out.toString()).startsWith("Usage: possync serve").doesNotContain("Did you mean");
  }

  @Test
  void serveHelpShowsTheBuiltInDefaultsAndTheAdminPortFlag() {
    assertThat(run("serve", "--help")).isZero();
    String help = out.toString().replaceAll("\\s+", " ");
    assertThat(help)
        .contains("(http.host; default " + Settings.DEFAULTS.get("http.host") + ")")
        .contains("(http.port; default " + Settings.DEFAULTS.get("http.port") + ")")
        .contains("--admin-port=PORT")
        .contains("(admin.port; default " + Settings.DEFAULTS.get("admin.port") + ";")
        .contains("(poll.timeout; default " + Settings.DEFAULTS.get("poll.timeout") + ")")
        .contains("(store.data_dir; default " + Settings.DEFAULTS.get("store.data_dir") + ")");
  }

  @Test
  void theVersionIsThePomsEverywhere() throws Exception {
    Matcher m = Pattern.compile("<artifactId>possync</artifactId>\\s*<version>([^<]+)</version>")
        .matcher(Files.readString(Path.of("pom.xml")));
    assertThat(m.find()).isTrue();
    assertThat(run("--version")).isZero();
    assertThat(out.toString().strip()).isEqualTo("PosSync " + m.group(1));
    assertThat(Version.VALUE).isEqualTo(m.group(1));
  }

  @Test
  void aTokenIsTheFirstStepOnAFreshInstallAndItsPitfallsAreSaid() throws Exception {
    Path data = tmp.resolve("fresh/data");

    // --data-dir after the subcommand (inherited), on a data directory that does not exist yet.
    assertThat(run("token", "create", "--db", "odoo", "--multi-session", "1",
        "--data-dir", data.toString())).isZero();
    assertThat(out.toString().strip()).matches("//127\\.0\\.0\\.1:8079/t/[A-Za-z0-9_-]{20,}");
    assertThat(Files.isRegularFile(data.resolve("possync.db"))).isTrue();
    assertThat(err.toString()).contains("created a new PosSync database")
        .contains("auth.mode=none").contains("/t/... addresses only with auth.mode=token")
        .contains("loopback address").contains("--base-url");

    // The README's way: token mode in the configuration, the address the tablets use.
    Path config = Files.writeString(tmp.resolve("possync.properties"),
        "auth.mode = token\nstore.data_dir = " + data + "\n");
    assertThat(run("token", "create", "--db", "odoo", "--multi-session", "2", "--label", "bar",
        "--base-url", "https://192.168.1.20:8443/", "--config", config.toString())).isZero();
    assertThat(out.toString().strip()).startsWith("https://192.168.1.20:8443/t/");
    assertThat(err.toString()).doesNotContain("warning").doesNotContain("created");

    // --config after the subcommand, and --json for scripts: never the secret or its hash.
    assertThat(run("token", "list", "--json", "--config", config.toString())).isZero();
    JsonArray tokens = JsonParser.parseString(out.toString()).getAsJsonArray();
    assertThat(tokens).hasSize(2);
    JsonObject newest = tokens.get(0).getAsJsonObject();
    assertThat(newest.keySet()).containsExactly("id", "dbname", "multi_session_id", "label",
        "created_at", "revoked_at", "state");
    assertThat(newest.get("multi_session_id").getAsLong()).isEqualTo(2);
    assertThat(newest.get("label").getAsString()).isEqualTo("bar");
    assertThat(newest.get("state").getAsString()).isEqualTo("valid");
    assertThat(newest.get("revoked_at").isJsonNull()).isTrue();

    assertThat(run("outbox", "list", "--config", config.toString())).isZero();
    assertThat(run("outbox", "list", "--data-dir", tmp.resolve("elsewhere").toString()))
        .as("an outbox list never creates a store").isEqualTo(1);
  }

  @Test
  void tokensAndTheOutboxOfAClusterAreReachedThroughItsDatabase() throws Exception {
    try (TestCluster cluster = TestCluster.start(1, Map.of("auth.mode", "token"))) {
      String url = cluster.url() + "?password=" + PostgresServer.shared().password();
      Path config = Files.writeString(tmp.resolve("cluster.properties"),
          "store.kind = postgresql\nstore.url = " + url + "\nstore.user = "
              + PostgresServer.shared().user() + "\n");
      assertThat(run("token", "create", "--db", "shop", "--multi-session", "1",
          "--config", config.toString())).as(err.toString()).isZero();
      String address = out.toString().strip();
      String secret = address.substring(address.indexOf("/t/") + 3);
      RpcClient pos = new RpcClient(URI.create(cluster.node(0).baseUri() + "/t/" + secret));
      RpcClient.Answer answer = pos.call("/pos_multi_session_sync/update",
          Pos.update("shop", 1, 2, Pos.syncAll(1, 1, true)));
      assertThat(answer.isError()).as("a token made on the cluster's database: %s",
          answer.body()).isFalse();
      RpcClient forged = new RpcClient(URI.create(cluster.node(0).baseUri() + "/t/"
          + "A".repeat(secret.length())));
      assertThat(forged.call("/pos_multi_session_sync/update",
          Pos.update("shop", 1, 2, Pos.syncAll(1, 1, true))).status()).isNotEqualTo(200);
      assertThat(run("outbox", "list", "--config", config.toString())).isZero();
    }
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    CommandLine cmd = Main.commandLine();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    TokenCommand token = cmd.getSubcommands().get("token").getCommand();
    token.out = o;
    token.err = e;
    OutboxCommand outbox = cmd.getSubcommands().get("outbox").getCommand();
    outbox.out = o;
    outbox.err = e;
    cmd.setOut(new PrintWriter(o, true));
    cmd.setErr(new PrintWriter(e, true));
    return cmd.execute(args);
  }
}
