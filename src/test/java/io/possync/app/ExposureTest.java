package io.possync.app;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.possync.config.Settings;
import io.possync.config.SettingsException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The open door of auth.mode=none stays on loopback unless the operator says otherwise. */
class ExposureTest {

  @Test
  void noAuthenticationOnANetworkAddressRefusesToStartAndSaysHowToFixIt() {
    Settings open = Settings.load(null, Map.of(), Map.of("http.host", "0.0.0.0"));
    assertThatThrownBy(() -> Exposure.check(open)).isInstanceOf(SettingsException.class)
        .hasMessageContaining("auth.mode=token").hasMessageContaining("possync token create")
        .hasMessageContaining("auth.allow_insecure=true");
  }

  @Test
  void loopbackTokensAndAnExplicitRiskAreAccepted() {
    assertThatCode(() -> Exposure.check(Settings.defaultSettings())).doesNotThrowAnyException();
    assertThatCode(() -> Exposure.check(Settings.load(null, Map.of(), Map.of("http.host",
        "0.0.0.0", "auth.mode", "token")))).doesNotThrowAnyException();
    assertThatCode(() -> Exposure.check(Settings.load(null, Map.of(), Map.of("http.host",
        "0.0.0.0", "auth.allow_insecure", "true")))).doesNotThrowAnyException();
  }

  @Test
  void theStatusPageOffLoopbackNeedsAToken() {
    Settings open = Settings.load(null, Map.of(), Map.of("admin.host", "0.0.0.0"));
    assertThatThrownBy(() -> Exposure.check(open)).isInstanceOf(SettingsException.class)
        .hasMessageContaining("0.0.0.0").hasMessageContaining("admin.token")
        .hasMessageContaining("POSSYNC_ADMIN_TOKEN");
    Settings lan = Settings.load(null, Map.of(), Map.of("admin.host", "192.0.2.10"));
    assertThatThrownBy(() -> Exposure.check(lan)).isInstanceOf(SettingsException.class);

    assertThatCode(() -> Exposure.check(Settings.load(null, Map.of(), Map.of("admin.host",
        "0.0.0.0", "admin.token", "a-token-of-sixteen+")))).doesNotThrowAnyException();
    assertThatCode(() -> Exposure.check(Settings.load(null, Map.of(), Map.of("admin.host",
        "::1")))).doesNotThrowAnyException();
  }
}
