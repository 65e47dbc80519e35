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
    assertThat(s.http().host()).isEqualTo("127.0.0.1");
    assertThat(s.http().port()).isEqualTo(8079);
    assertThat(s.poll().timeout()).isEqualTo(Duration.ofSeconds(50));
    assertThat(s.retention().notifications()).isEqualTo(Duration.ofMinutes(10));
    assertThat(s.retention().orders()).isEqualTo(Duration.ofDays(7));
    assertThat(s.store().dataDir()).isEqualTo(Path.of("./data"));
    assertThat(s.store().sync()).isEqualTo(StoreSync.PROCESS);
    assertThat(s.access().mode()).isEqualTo(AuthMode.NONE);
    assertThat(s.odoo().backends()).isEmpty();
    assertThat(Settings.DEFAULTS.keySet()).startsWith("http.host", "http.port",
        "http.path_prefix");
    assertThat(s.tls().enabled()).isFalse();
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

    assertThat(s.http().host()).isEqualTo("0.0.0.0");
    assertThat(s.http().port()).isEqualTo(8080);
    assertThat(s.http().pathPrefix()).isEqualTo("/sync");
    assertThat(s.cors().allowedOrigins())
        .containsExactly("https://odoo.example.com", "https://backup.example.com");
    assertThat(s.retention().orders()).isEqualTo(Duration.ofDays(1));
    // Untouched keys keep their defaults.
    assertThat(s.poll().timeout()).isEqualTo(Duration.ofSeconds(50));
  }

  @Test
  void environmentOverridesTheFile() throws IOException {
    Path file = write("http.port=8080\npoll.timeout=30\n");

    Settings s = Settings.load(file, Map.of("POSSYNC_HTTP_PORT", " 9000 ",
        "POSSYNC_RETENTION_NOTIFICATION_BYTES", "2097152", "PATH", "/usr/bin"), Map.of());

    assertThat(s.http().port()).isEqualTo(9000);
    assertThat(s.retention().notificationBytes()).isEqualTo(2_097_152);
    assertThat(s.poll().timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(Settings.envName("retention.notification_bytes"))
        .isEqualTo("POSSYNC_RETENTION_NOTIFICATION_BYTES");
    assertThat(Settings.envName("auth.allow_insecure")).isEqualTo("POSSYNC_AUTH_ALLOW_INSECURE");
  }

  @Test
  void flagsWinOverEnvironmentAndFile() throws IOException {
    Path file = write("http.port=8080\nhttp.host=10.0.0.1\n");

    Settings s = Settings.load(file, Map.of("POSSYNC_HTTP_PORT", "9000"),
        Map.of("http.port", "9100", "poll.timeout", "5"));

    assertThat(s.http().port()).isEqualTo(9100);
    assertThat(s.http().host()).isEqualTo("10.0.0.1");
    assertThat(s.poll().timeout()).isEqualTo(Duration.ofSeconds(5));
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
        .hasMessage("http.max_body_bytes must be a number of bytes, plain or with KB, MB or GB"
            + " (e.g. 256MB), not '1.5e6'");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("http.host", "")))
        .isInstanceOf(SettingsException.class).hasMessage("http.host must not be empty");
  }

  @Test
  void durationsAndSizesTakeUnitsAndPlainNumbersStillWork() throws IOException {
    Settings units = Settings.load(write("poll.timeout = 50s\nretention.notifications = 10min\n"
        + "retention.orders = 7d\nodoo.reply_timeout = 1h\nstate.hot_bytes = 256MB\n"
        + "retention.notification_bytes = 64 mb\nhttp.max_body_bytes = 8MB\n"
        + "store.max_bytes = 2GB\n"), Map.of(), Map.of());
    assertThat(units.poll().timeout()).isEqualTo(Duration.ofSeconds(50));
    assertThat(units.retention().notifications()).isEqualTo(Duration.ofMinutes(10));
    assertThat(units.retention().orders()).isEqualTo(Duration.ofDays(7));
    assertThat(units.odoo().replyTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(units.state().hotBytes()).isEqualTo(256L << 20);
    assertThat(units.retention().notificationBytes()).isEqualTo(64L << 20);
    assertThat(units.http().maxBodyBytes()).isEqualTo(8 << 20);
    assertThat(units.store().maxBytes()).isEqualTo(2L << 30);

    Settings plain = Settings.load(write("poll.timeout = 50\nstate.hot_bytes = 268435456\n"),
        Map.of(), Map.of());
    assertThat(plain.poll().timeout()).isEqualTo(units.poll().timeout());
    assertThat(plain.state().hotBytes()).isEqualTo(units.state().hotBytes());
    assertThat(Settings.defaultSettings()).isEqualTo(Settings.load(write(
        "poll.timeout = 50s\nstate.hot_bytes = 256MB\nhttp.max_body_bytes = 8MB\n"
        + "retention.notification_bytes = 64MB\nretention.notifications = 10min\n"
        + "retention.orders = 7d\n"), Map.of(), Map.of()));

    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("poll.timeout", "50 parsecs")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("poll.timeout must be a whole number of seconds, plain or with a unit s, min,"
            + " h or d (e.g. 50s), not '50 parsecs'");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("poll.timeout", "2h")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("poll.timeout must be between 1 and 3600, not 2h");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("state.hot_bytes", "256TB")))
        .isInstanceOf(SettingsException.class).hasMessageStartingWith("state.hot_bytes must be a"
            + " number of bytes");
  }

  @Test
  void missingFileIsReportedByName() {
    Path missing = dir.resolve("nope.properties");

    assertThatThrownBy(() -> Settings.load(missing, Map.of(), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("cannot read config file " + missing);
  }

  /** Clients rely on Odoo's 100 s of notification history (docs/protocol-decisions.md, D4). */
  @Test
  void notificationRetentionCannotGoBelowOneHundredSeconds() {
    assertThatThrownBy(() -> Settings.load(null, Map.of(),
        Map.of("retention.notifications", "99")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("retention.notifications must be at least 100 seconds"
            + " (clients rely on Odoo's 100 s)");

    Settings atTheFloor = Settings.load(null, Map.of("POSSYNC_RETENTION_NOTIFICATIONS", "100"),
        Map.of());
    assertThat(atTheFloor.retention().notifications()).isEqualTo(Duration.ofSeconds(100));
  }

  @Test
  void withPortChangesOnlyThePort() {
    Settings s = Settings.load(null, Map.of(), Map.of("http.path_prefix", "/msync/"));

    Settings moved = s.withPort(0);

    assertThat(moved.http().port()).isZero();
    assertThat(moved.http().pathPrefix()).isEqualTo("/msync");
    assertThat(moved.withPort(s.http().port())).isEqualTo(s);
  }

  /** conf/possync.properties is the reference: every key, each with its default, nothing else. */
  @Test
  void referenceFileDocumentsEveryKeyWithItsDefault() throws IOException {
    java.util.Properties reference = new java.util.Properties();
    try (var in = Files.newBufferedReader(Path.of("conf/possync.properties"))) {
      reference.load(in);
    }
    Map<String, String> documented = new java.util.HashMap<>();
    reference.stringPropertyNames().forEach(k -> documented.put(k, reference.getProperty(k)
        .strip()));

    assertThat(documented).isEqualTo(Settings.DEFAULTS);
  }

  @Test
  void httpsListenerIsOffByDefaultAndListensWhereHttpDoes() {
    Settings off = Settings.load(null, Map.of(), Map.of("http.host", "10.0.0.5",
        "tls.cert_file", "/etc/possync/cert.pem")); // kept in place while tls.port is 0

    assertThat(off.tls().enabled()).isFalse();
    assertThat(off.tls().host()).isEqualTo("10.0.0.5");

    Settings pem = Settings.load(null, Map.of("POSSYNC_TLS_PORT", "8443",
        "POSSYNC_TLS_KEY_FILE", "/etc/possync/key.pem"), Map.of("http.host", "10.0.0.5",
        "tls.cert_file", "/etc/possync/cert.pem"));
    assertThat(pem.tls()).isEqualTo(new TlsSettings(true, 8443, "10.0.0.5", "", "", "",
        "/etc/possync/cert.pem", "/etc/possync/key.pem"));

    Settings p12 = Settings.load(null, Map.of(), Map.of("tls.port", "8443", "tls.host",
        "0.0.0.0", "tls.keystore_file", "/etc/possync/box.p12", "tls.keystore_password_env",
        "BOX_P12_PASSWORD"));
    assertThat(p12.tls().host()).isEqualTo("0.0.0.0");
    assertThat(p12.tls().usesKeystore()).isTrue();
  }

  @Test
  void httpsCertificateSettingsMustNameExactlyOneForm() {
    Map<String, String> port = Map.of("tls.port", "8443");
    assertThatThrownBy(() -> tls(port, Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tls.port is set, so set either tls.keystore_file (PKCS12) or tls.cert_file"
            + " and tls.key_file (PEM)");
    assertThatThrownBy(() -> tls(port, Map.of("tls.keystore_file", "a.p12",
        "tls.keystore_password_file", "pw", "tls.cert_file", "c.pem", "tls.key_file", "k.pem")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("set either tls.keystore_file (PKCS12) or tls.cert_file and tls.key_file"
            + " (PEM), not both");
    assertThatThrownBy(() -> tls(port, Map.of("tls.keystore_file", "a.p12")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("set exactly one of tls.keystore_password_env and"
            + " tls.keystore_password_file (the password never goes in this file)");
    assertThatThrownBy(() -> tls(port, Map.of("tls.keystore_file", "a.p12",
        "tls.keystore_password_file", "pw", "tls.keystore_password_env", "PW")))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("set exactly one of tls.keystore_password_env and");
    assertThatThrownBy(() -> tls(port, Map.of("tls.cert_file", "c.pem")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("set both tls.cert_file (the certificate chain) and tls.key_file"
            + " (its private key)");
    assertThatThrownBy(() -> tls(port, Map.of("tls.cert_file", "c.pem", "tls.key_file",
        "k.pem", "tls.keystore_password_env", "PW")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tls.keystore_password_env and tls.keystore_password_file go with"
            + " tls.keystore_file; the PEM key in tls.key_file has no password");
    assertThatThrownBy(() -> tls(Map.of("tls.port", "8079"), Map.of("tls.cert_file", "c.pem",
        "tls.key_file", "k.pem")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tls.port must differ from http.port (both are 8079)");
    assertThatThrownBy(() -> tls(Map.of("tls.port", "70000"), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tls.port must be between 0 and 65535, not 70000");
  }

  @Test
  void withTlsPortTurnsTheListenerOnAndChecksTheCertificateSettings() {
    Settings pem = Settings.load(null, Map.of(), Map.of("tls.cert_file", "c.pem",
        "tls.key_file", "k.pem"));

    Settings anyPort = pem.withTlsPort(0);

    assertThat(anyPort.tls().enabled()).isTrue();
    assertThat(anyPort.tls().port()).isZero();
    assertThat(anyPort.withTlsPort(0).http().port()).isEqualTo(pem.http().port());
    assertThatThrownBy(() -> Settings.defaultSettings().withTlsPort(0))
        .isInstanceOf(SettingsException.class).hasMessageStartingWith("tls.port is set");
  }

  /** The variable named by tls.keystore_password_env holds a secret, not a mistyped setting. */
  @Test
  void theKeystorePasswordVariableIsNotReportedAsUnknown() {
    Map<String, String> env = Map.of("POSSYNC_TLS_KEYSTORE_PASSWORD", "secret",
        "POSSYNC_HTTP_PROT", "8080", "POSSYNC_TLS_PORT", "8443");
    Settings s = Settings.load(null, env, Map.of("tls.keystore_file", "box.p12",
        "tls.keystore_password_env", "POSSYNC_TLS_KEYSTORE_PASSWORD"));

    assertThat(Settings.unknownEnvironment(env))
        .containsExactly("POSSYNC_HTTP_PROT", "POSSYNC_TLS_KEYSTORE_PASSWORD");
    assertThat(Settings.unknownEnvironment(env, s)).containsExactly("POSSYNC_HTTP_PROT");
  }

  private static Settings tls(Map<String, String> a, Map<String, String> b) {
    Map<String, String> all = new java.util.HashMap<>(a);
    all.putAll(b);
    return Settings.load(null, Map.of(), all);
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

    assertThat(s.odoo().backends()).containsExactly(new OdooBackend("shop",
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

  @Test
  void theAdminListenerHasItsOwnLoopbackPortAndItsTokenComesBestFromTheEnvironment() {
    AdminSettings d = Settings.defaultSettings().admin();
    assertThat(d.host()).isEqualTo("127.0.0.1");
    assertThat(d.port()).isEqualTo(8078);
    assertThat(d.hasToken()).isFalse();
    assertThat(d.offlineAfter()).isEqualTo(Duration.ofSeconds(75));

    Settings fromEnv = Settings.load(null, Map.of("POSSYNC_ADMIN_TOKEN", "0123456789abcdef-env",
        "POSSYNC_ADMIN_PORT", "0"), Map.of());
    assertThat(fromEnv.admin().token()).isEqualTo("0123456789abcdef-env");
    assertThat(fromEnv.admin().port()).isZero();
    assertThat(fromEnv.toString()).as("the token never reaches a log line")
        .doesNotContain("0123456789abcdef-env");
  }

  @Test
  void adminSettingsThatCannotWorkAreRefusedWithTheirKey() {
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("admin.token", "short")))
        .isInstanceOf(SettingsException.class).hasMessageContaining("admin.token")
        .hasMessageContaining("16");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("admin.offline_after", "50")))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("admin.offline_after").hasMessageContaining("poll.timeout");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("admin.port", "8079")))
        .isInstanceOf(SettingsException.class).hasMessageContaining("admin.port");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of("admin.host", "")))
        .isInstanceOf(SettingsException.class).hasMessageContaining("admin.host");
  }

  private Path write(String text) throws IOException {
    Path file = Files.createTempFile(dir, "possync", ".properties");
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }
}
