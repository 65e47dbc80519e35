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
}
