package io.possync.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The one table every key, default, variable name and value message comes from. */
class SettingsTableTest {

  /** The reference file is read top to bottom by operators: same keys, in the table's order. */
  @Test
  void theReferenceFileListsTheTablesKeysInItsOrder() throws IOException {
    Pattern assignment = Pattern.compile("^([a-z0-9_.]+)\\s*=");
    List<String> documented = Files.readAllLines(Path.of("conf/possync.properties"),
            StandardCharsets.UTF_8).stream()
        .map(assignment::matcher).filter(Matcher::find).map(m -> m.group(1)).toList();

    assertThat(documented).containsExactlyElementsOf(Settings.DEFAULTS.keySet());
  }

  @Test
  void everyRowHasItsOwnKeyAndVariableAndADescriptionOfOneLine() {
    assertThat(SettingsTable.ALL).hasSize(Settings.DEFAULTS.size());
    assertThat(SettingsTable.ALL.stream().map(s -> Settings.envName(s.key())))
        .doesNotHaveDuplicates().allMatch(n -> n.matches("POSSYNC_[A-Z0-9_]+"));
    assertThat(SettingsTable.ALL).allSatisfy(s -> {
      assertThat(s.description()).as(s.key()).isNotBlank().doesNotContain("\n");
      assertThat(s.key()).matches("[a-z]+\\.[a-z0-9_]+");
    });
  }

  @Test
  void everyDefaultPassesItsOwnParser() {
    assertThat(SettingsTable.ALL).allSatisfy(s -> s.parse(s.defaultValue()));
  }

  /** Operators and scripts read these messages: they keep their wording. */
  @Test
  void choicesAndSwitchesNameTheirKeyAndWhatIsAccepted() {
    assertThat(Settings.load(null, Map.of(), Map.of("auth.mode", "Token")).access().mode())
        .isEqualTo(AuthMode.TOKEN);
    assertThat(Settings.load(null, Map.of(), Map.of("store.sync", "POWER")).store().sync())
        .isEqualTo(StoreSync.POWER);
    assertThat(Settings.load(null, Map.of(), Map.of("sync.conflicts", "reject")).sync()
        .conflicts()).isEqualTo(SyncConflicts.REJECT);
    assertThat(AuthMode.ODOO_SESSION).hasToString("odoo-session");

    refused("auth.mode", "open", "auth.mode must be none, token or odoo-session, not 'open'");
    refused("store.sync", "fsync", "store.sync must be 'process' or 'power', not 'fsync'");
    refused("sync.conflicts", "last", "sync.conflicts must be 'merge' or 'reject', not 'last'");
    refused("reconcile.enabled", "yes", "reconcile.enabled must be true or false, not 'yes'");
    refused("cors.allowed_origins", "", "cors.allowed_origins must be * or a comma-separated list"
        + " of origins such as https://odoo.example.com");
    refused("store.data_dir", "", "store.data_dir must not be empty");
    refused("http.max_body_bytes", "512", "http.max_body_bytes must be at least 1024 bytes, not"
        + " 512");
    refused("admin.token", "short", "admin.token must be at least 16 characters long (e.g. the"
        + " output of 'openssl rand -hex 16')");
    refused("auth.mode", "odoo-session", "auth.mode=odoo-session needs auth.odoo_url, the Odoo"
        + " server whose session cookies are checked (e.g. http://127.0.0.1:8069)");
  }

  @Test
  void valuesAreTidiedByTheirRow() {
    Settings s = Settings.load(null, Map.of(), Map.of("auth.allowed_dbnames", "shop , lab",
        "auth.odoo_url", "http://127.0.0.1:8069//", "http.path_prefix", "/",
        "http.max_body_bytes", "4GB"));

    assertThat(s.access().allowedDbnames()).containsExactly("shop", "lab");
    assertThat(s.access().odooUrl()).isEqualTo("http://127.0.0.1:8069");
    assertThat(s.http().pathPrefix()).isEmpty();
    assertThat(s.http().maxBodyBytes()).isEqualTo(Integer.MAX_VALUE - 1);
    assertThat(Settings.defaultSettings().access().allowedDbnames()).isEmpty();
  }

  private static void refused(String key, String value, String message) {
    assertThatThrownBy(() -> Settings.load(null, Map.of(), Map.of(key, value)))
        .isInstanceOf(SettingsException.class).hasMessage(message);
  }
}
