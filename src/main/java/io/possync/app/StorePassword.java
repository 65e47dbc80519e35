package io.possync.app;

import io.possync.config.SettingsException;
import io.possync.config.StoreSettings;
import java.util.Map;

/** The PostgreSQL password of a cluster node, from the variable {@code store.password_env}. */
final class StorePassword {
  private StorePassword() {}

  /**
   * @return the password, or null when {@code store.password_env} is empty (peer or trust
   *         authentication, or a password in the URL)
   * @throws SettingsException if the variable it names is not set
   */
  static String resolve(StoreSettings store, Map<String, String> env) {
    if (store.passwordEnv().isEmpty()) {
      return null;
    }
    String value = env.get(store.passwordEnv());
    if (value == null || value.isEmpty()) {
      throw new SettingsException("store.password_env names " + store.passwordEnv()
          + ", which is not set in the environment");
    }
    return value;
  }
}
