package io.possync.app;

import io.possync.config.Settings;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options by which the offline commands (outbox, token, backup) find the data directory:
 * given itself, or read from the configuration as {@code serve} would.
 */
final class DataDirOptions {
  @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:POSSYNC_CONFIG}",
      description = "Properties file (store.data_dir, http.*); default $POSSYNC_CONFIG.")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "The data directory itself.")
  Path dataDir;

  /** @throws io.possync.config.SettingsException if the configuration is invalid */
  Settings settings() {
    return Settings.load(config, System.getenv(), Map.of());
  }

  /** @throws io.possync.config.SettingsException if the configuration is invalid */
  Path dataDir() {
    return dataDir != null ? dataDir : settings().dataDir();
  }
}
