package io.possync.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings: defaults, then the file, then {@code POSSYNC_*} variables, then flags. */
class SettingsTest {
  @TempDir
  Path dir;

  @Test
  void defaultsAreWhatTheShippedConfigurationFileDocuments() {
    Settings s = Settings.defaultSettings();

    // conf/possync.properties lists every key with its default: loading it changes nothing.
    assertThat(Settings.load(Path.of("conf/possync.properties"), Map.of(), Map.of()))
        .isEqualTo(s);
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.port()).isEqualTo(8079);
    assertThat(s.pollTimeout()).isEqualTo(Duration.ofSeconds(50));
    assertThat(s.notificationRetention()).isEqualTo(Duration.ofMinutes(10));
    assertThat(s.orderRetention()).isEqualTo(Duration.ofDays(7));
    assertThat(s.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(s.storeSync()).isEqualTo("process");
    assertThat(s.access().mode()).isEqualTo("none");
    assertThat(s.odooBackends()).isEmpty();
    assertThat(Settings.DEFAULTS.keySet()).startsWith("http.host", "http.port",
        "http.path_prefix");
  }

  @Test
  void fileValuesReplaceDefaultsAndAreTidied() throws IOException {
    Path file = write("""
        # a shop box
        http.host = 0.0.0.0
        http.port = 8080\s\s
        http.path_prefix = sync/
        cors.allowed_origins = https://odoo.example.com , https://backup.example.com
        retention.orders = 86400
        """);

    Settings s = Settings.load(file, Map.of(), Map.of());

    assertThat(s.host()).isEqualTo("0.0.0.0");
    assertThat(s.port()).isEqualTo(8080);
    assertThat(s.pathPrefix()).isEqualTo("/sync");
    assertThat(s.corsAllowedOrigins())
        .containsExactly("https://odoo.example.com", "https://backup.example.com");
    assertThat(s.orderRetention()).isEqualTo(Duration.ofDays(1));
    assertThat(s.pollTimeout()).isEqualTo(Duration.ofSeconds(50)); // untouched keys keep defaults
  }

  @Test
  void environmentOverridesTheFile() throws IOException {
    Path file = write("http.port=8080\npoll.timeout=30\n");

    Settings s = Settings.load(file, Map.of("POSSYNC_HTTP_PORT", " 9000 ",
        "POSSYNC_RETENTION_NOTIFICATIONS_PER_CHANNEL", "50", "PATH", "/usr/bin"), Map.of());

    assertThat(s.port()).isEqualTo(9000);
    assertThat(s.notificationsPerChannel()).isEqualTo(50);
    assertThat(s.pollTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(Settings.envName("retention.notifications_per_channel"))
        .isEqualTo("POSSYNC_RETENTION_NOTIFICATIONS_PER_CHANNEL");
    assertThat(Settings.envName("auth.allow_insecure")).isEqualTo("POSSYNC_AUTH_ALLOW_INSECURE");
  }

  @Test
  void flagsWinOverEnvironmentAndFile() throws IOException {
    Path file = write("http.port=8080\nhttp.host=10.0.0.1\n");

    Settings s = Settings.load(file, Map.of("POSSYNC_HTTP_PORT", "9000"),
        Map.of("http.port", "9100", "poll.timeout", "5"));

    assertThat(s.port()).isEqualTo(9100);
    assertThat(s.host()).isEqualTo("10.0.0.1");
    assertThat(s.pollTimeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void unknownKeyInTheFileIsNamedWithTheFile() throws IOException {
    Path file = write("http.prot=8080\n");

    assertThatThrownBy(() -> Settings.load(file, Map.of(), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("unknown setting 'http.prot' in " + file
            + " (see conf/possync.properties for the valid keys)");
  }

  @Test
  void unknownFlagKeyIsRefused() {
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("poll.timeuot", "5")))
        .isInstanceOf(SettingsException.class).hasMessage("unknown setting 'poll.timeuot'");
  }

  @Test
  void badValuesAreExplainedWithTheirKey() throws IOException {
    assertThatThrownBy(() -> Settings.load(write("http.port=eighty\n"), Map.of(), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("http.port must be a whole number, not 'eighty'");
    assertThatThrownBy(() -> Settings.load(null, Map.of("POSSYNC_HTTP_PORT", "70000"), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("http.port must be between 0 and 65535, not 70000");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("poll.timeout", "0")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("poll.timeout must be between 1 and 3600, not 0");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("http.max_body_bytes", "1.5e6")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("http.max_body_bytes must be a whole number, not '1.5e6'");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("http.host", "")))
        .isInstanceOf(SettingsException.class).hasMessage("http.host must not be empty");
  }

  @Test
  void missingFileIsReportedByName() {
    Path missing = dir.resolve("nope.properties");

    assertThatThrownBy(() -> Settings.load(missing, Map.of(), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("cannot read config file " + missing);
  }

  /** Clients rely on Odoo's 100 s of notification history (PROTOCOL.md §6 item 9). */
  @Test
  void notificationRetentionCannotGoBelowOneHundredSeconds() {
    assertThatThrownBy(() -> Settings.load(null, Map.of(),
        Map.of("retention.notifications", "99")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("retention.notifications must be at least 100 seconds"
            + " (clients rely on Odoo's 100 s)");

    Settings atTheFloor = Settings.load(null, Map.of("POSSYNC_RETENTION_NOTIFICATIONS", "100"),
        Map.of());
    assertThat(atTheFloor.notificationRetention()).isEqualTo(Duration.ofSeconds(100));
  }

  @Test
  void withPortChangesOnlyThePort() {
    Settings s = Settings.load(null, Map.of(), Map.of("http.path_prefix", "/msync/"));

    Settings moved = s.withPort(0);

    assertThat(moved.port()).isZero();
    assertThat(moved.pathPrefix()).isEqualTo("/msync");
    assertThat(moved.withPort(s.port())).isEqualTo(s);
  }

  @Test
  void odooBackendsAreReadWithTheirDefaultsAndChecked() throws IOException {
    Path file = write("""
        odoo.shop.url = https://odoo.example.com/
        odoo.shop.database = odoo
        odoo.shop.login = possync
        odoo.shop.password_env = SHOP_PW
        """);

    Settings s = Settings.load(file, Map.of("POSSYNC_ODOO_SHOP_LOGIN", "bridge"), Map.of());

    assertThat(s.odooBackends()).containsExactly(new OdooBackend("shop",
        "https://odoo.example.com", "odoo", "bridge", "SHOP_PW", "", "odoo"));
    Path noPassword = write("""
        odoo.shop.url = https://odoo.example.com
        odoo.shop.database = odoo
        odoo.shop.login = possync
        """);
    assertThatThrownBy(() -> Settings.load(noPassword, Map.of(), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("password_env").hasMessageContaining("password_file");
    Path badUrl = write("""
        odoo.shop.url = odoo.example.com
        odoo.shop.database = odoo
        odoo.shop.login = possync
        odoo.shop.password_file = /etc/pw
        """);
    assertThatThrownBy(() -> Settings.load(badUrl, Map.of(), Map.of()))
        .isInstanceOf(SettingsException.class).hasMessageContaining("odoo.shop.url");
  }

  private Path write(String text) throws IOException {
    Path file = Files.createTempFile(dir, "possync", ".properties");
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }
}
