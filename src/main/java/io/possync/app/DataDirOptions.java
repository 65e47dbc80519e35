package io.possync.app;

import io.possync.config.Settings;
import io.possync.config.SettingsException;
import io.possync.store.SharedStoreAddress;
import io.possync.store.StoreException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The options by which the offline commands (outbox, token, backup) find the data directory:
 * given itself, or read from the configuration as {@code serve} would. Both are inherited, so
 * they may stand before or after the subcommand: {@code possync outbox list --config FILE} and
 * {@code possync outbox --config FILE list} mean the same.
 */
final class DataDirOptions {
  @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:POSSYNC_CONFIG}",
      scope = ScopeType.INHERIT,
      description = "Properties file (store.data_dir, http.*); default $POSSYNC_CONFIG.")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", scope = ScopeType.INHERIT,
      description = "The data directory itself (default: store.data_dir of the configuration).")
  Path dataDir;

  /** @throws io.possync.config.SettingsException if the configuration is invalid */
  Settings settings() {
    return Settings.load(config, System.getenv(), Map.of());
  }

  /** @throws io.possync.config.SettingsException if the configuration is invalid */
  Path dataDir() {
    return dataDir != null ? dataDir : settings().store().dataDir();
  }

  /**
   * Opens a store tool on the data directory ({@code OutboxTables::open}...), runs
   * {@code action} with it and returns its exit code; 2 for an invalid configuration, 1 when the
   * data directory cannot be used, each with its reason on {@code err}.
   */
  <T extends AutoCloseable> int with(Function<Path, T> open, ToIntFunction<T> action,
      PrintStream err) {
    return with(open, null, action, err);
  }

  /**
   * Like {@link #with(Function, ToIntFunction, PrintStream)}, but when the configuration names a
   * cluster's PostgreSQL store ({@code store.kind=postgresql}) and no {@code --data-dir} is given,
   * opens the tool on that database with {@code openShared}.
   */
  <T extends AutoCloseable> int with(Function<Path, T> open,
      Function<SharedStoreAddress, T> openShared, ToIntFunction<T> action, PrintStream err) {
    Path dir = null;
    SharedStoreAddress shared = null;
    try {
      Settings settings = dataDir == null ? settings() : null;
      if (openShared != null && settings != null && settings.store().clustered()) {
        shared = new SharedStoreAddress(settings.store().url(), settings.store().user(),
            StorePassword.resolve(settings.store(), System.getenv()));
      } else {
        dir = dataDir();
      }
    } catch (SettingsException e) {
      err.println("possync: " + e.getMessage());
      return 2;
    }
    Path where = dir;
    SharedStoreAddress address = shared;
    try (T tool = address != null ? openShared.apply(address) : open.apply(where)) {
      return action.applyAsInt(tool);
    } catch (StoreException e) {
      err.println("possync: " + e.getMessage());
      return 1;
    } catch (Exception e) { // close() of the store tools throws nothing checked
      throw new IllegalStateException(e);
    }
  }
}
