package io.possync.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.store.SqliteStore;
import io.possync.testing.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * {@code possync check} refuses what {@code possync serve} refuses, with the same reason: a
 * missing TLS keystore, a data directory that is a file, a POS port and an admin port in use.
 * {@code serve} runs as a real process (as a unit file starts it, without
 * {@code -Djdk.serialFilter}), {@code check} in this JVM.
 */
class StartRefusalsTest {
  @TempDir
  Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @Test
  void aMissingTlsKeystore() throws Exception {
    Path pw = Files.writeString(tmp.resolve("tls.pw"), "secret\n");
    Path config = config("tls.port = " + ServerProcess.freePort() + "\ntls.keystore_file = "
        + tmp.resolve("missing.p12") + "\ntls.keystore_password_file = " + pw + "\n");

    bothRefuse(config, "tls.keystore_file", "missing.p12");
  }

  @Test
  void aDataDirectoryThatIsAFile() throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
    Path config = config("store.data_dir = " + file + "\n");

    bothRefuse(config, "cannot create data directory " + file);
  }

  @Test
  void aDamagedDatabase() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.write(data.resolve("possync.db"), new byte[8192]); // not an SQLite file
    Path config = config("");

    bothRefuse(config, "cannot open " + data.resolve("possync.db"),
        "is it a PosSync database?");
  }

  @ParameterizedTest
  @CsvSource({"http.port, --port", "admin.port, --admin-port"})
  void aPortInUse(String setting, String flag) throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      Path config = config(setting + " = " + taken.getLocalPort() + "\n");

      bothRefuse(config, "127.0.0.1:" + taken.getLocalPort(), "port in use", flag);
    }
  }

  @Test
  void whatServeAcceptsCheckAcceptsToo() throws Exception {
    Path config = config("");
    assertThat(check(config)).as("no data directory yet").isZero();
    assertThat(out.toString()).contains(": valid");

    SqliteStore.open(tmp.resolve("data"), SqliteStore.SyncPolicy.PROCESS, 0).close();
    assertThat(check(config)).as("a database of this version").isZero();
    assertThat(out.toString()).contains(": valid");
  }

  private void bothRefuse(Path config, String... reason) throws Exception {
    assertThat(check(config)).as(out.toString()).isEqualTo(2);
    assertThat(out.toString()).contains(reason).doesNotContain(": valid\n");

    Path log = tmp.resolve("serve.log");
    Process serve = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx128m", "-cp", System.getProperty("java.class.path"),
        "io.possync.app.Main", "serve", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = serve.waitFor(30, TimeUnit.SECONDS);
    if (!ended) {
      serve.destroyForcibly().waitFor();
    }
    String said = Files.readString(log);
    assertThat(ended).as("serve refused to start: " + said).isTrue();
    assertThat(serve.exitValue()).as(said).isNotZero();
    assertThat(said).contains(reason).doesNotContain("event=started");
  }

  /** Ports the OS chooses and a data directory of the test's, plus {@code extra}. */
  private Path config(String extra) throws Exception {
    return Files.writeString(tmp.resolve("possync.properties"), "http.port = 0\n"
        + "admin.port = 0\nstore.data_dir = " + tmp.resolve("data") + "\n" + extra);
  }

  private int check(Path config) {
    out.reset();
    CommandLine cmd = Main.commandLine();
    CheckCommand check = cmd.getSubcommands().get("check").getCommand();
    check.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    check.env = Map.of();
    return cmd.execute("check", "--config", config.toString());
  }
}
