package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.testing.Pos;
import io.possync.testing.RpcClient;
import io.possync.testing.ServerProcess;
import io.possync.testing.TestCertificate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's first run for the shop LAN, step by step, on a data directory that does not exist
 * yet: the configuration in token mode with its own HTTPS listener, {@code possync token create}
 * before the first start, {@code possync serve} (a real process started as a unit file would,
 * without {@code -Djdk.serialFilter}), then a POS request through the printed address.
 */
class FirstRunTest {
  private static final String UPDATE = "/pos_multi_session_sync/update";

  @TempDir
  Path tmp;

  @Test
  void tokenFirstThenServeThenAPosRequestThroughThePrintedAddress() throws Exception {
    Path data = tmp.resolve("var/lib/possync");
    TestCertificate cert = TestCertificate.generate(tmp, "box", "EC", "ip:127.0.0.1");
    int port = ServerProcess.freePort();
    int tlsPort = ServerProcess.freePort();
    // The README's configuration, on loopback here (a test sends nothing elsewhere).
    Path config = Files.writeString(tmp.resolve("possync.properties"), String.join("\n",
        "http.host = 127.0.0.1",
        "auth.mode = token",
        "tls.port = " + tlsPort,
        "tls.keystore_file = " + cert.p12(),
        "tls.keystore_password_file = " + cert.passwordFile(),
        "store.data_dir = " + data,
        "admin.port = 0", ""));
    assertThat(data).doesNotExist();

    // 1. possync token create --db shop --multi-session 1 --base-url https://BOX:8443 --config F
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    CommandLine cmd = Main.commandLine();
    TokenCommand token = cmd.getSubcommands().get("token").getCommand();
    token.out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    token.err = new PrintStream(said, true, StandardCharsets.UTF_8);
    assertThat(cmd.execute("token", "create", "--db", "shop", "--multi-session", "1",
        "--base-url", "https://127.0.0.1:" + tlsPort, "--config", config.toString()))
        .as(said.toString()).isZero();
    String syncServer = printed.toString(StandardCharsets.UTF_8).strip();
    assertThat(syncServer).startsWith("https://127.0.0.1:" + tlsPort + "/t/");
    assertThat(said.toString()).doesNotContain("warning");

    // 2. possync serve --config F
    try (ServerProcess serve = new ServerProcess(port, data, List.of("--config",
        config.toString())).withoutSerialFilterOption().start()) {
      HttpClient https = HttpClient.newBuilder().sslContext(cert.trustingOnlyThis())
          .connectTimeout(Duration.ofSeconds(5)).build();

      // 3. The POS's first request, as its sync_server makes it: through the printed address.
      RpcClient pos = new RpcClient(URI.create(syncServer), https);
      RpcClient.Answer synced = pos.call(UPDATE, Pos.update("shop", 1, 1,
          Pos.syncAll(1, 1, false)));
      assertThat(synced.status()).as("%s", synced.body()).isEqualTo(200);
      assertThat(synced.isError()).as("%s", synced.body()).isFalse();

      // Without the token the same request is refused: token mode is really on.
      RpcClient.Answer bare = new RpcClient(URI.create("https://127.0.0.1:" + tlsPort), https)
          .call(UPDATE, Pos.update("shop", 1, 1, Pos.syncAll(1, 1, false)));
      assertThat(bare.status()).isIn(403, 404);
    }
    assertThat(Files.readString(data.resolve("server.log"))).contains("event=started")
        .doesNotContain("event=auth_none");
  }
}
