package io.possync.app;

import io.possync.config.Settings;
import io.possync.config.SettingsException;
import io.possync.odoo.SerialFilterCheck;
import io.possync.store.StoreException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code possync} command line. */
@Command(name = "possync", mixinStandardHelpOptions = true,
    versionProvider = Version.Provider.class,
    description = "Sync Server for Odoo POS terminals running pos_multi_session.",
    subcommands = {Main.Serve.class, CheckCommand.class, StatusCommand.class, OutboxCommand.class,
        TokenCommand.class, BackupCommand.class, StoreCommand.class,
        CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:runtime failure", "2:invalid command line or configuration"})
public final class Main implements Callable<Integer> {
  // The built-in defaults named in `serve --help` (MainTest checks them against Settings.DEFAULTS).
  static final String HOST = "127.0.0.1";
  static final String PORT = "8079";
  static final String ADMIN_PORT = "8078";
  static final String POLL_TIMEOUT = "50";
  static final String DATA_DIR = "./data";

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 2;
  }

  public static void main(String[] args) {
    // First, before any library class that might deserialize (Apache XML-RPC) is loaded: so that
    // `java -jar possync.jar serve` from a unit file or a container is as safe as scripts/possync.
    SerialFilterCheck.installIfUnset();
    System.exit(commandLine().execute(args));
  }

  /** The command line with its settings (state names may be written in any case). */
  static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  /** {@code possync serve}: runs the server until stopped. */
  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = {"Run the sync server until stopped (SIGTERM or Ctrl-C).",
          "Each flag overrides its setting; precedence: flag, environment variable POSSYNC_<KEY>,"
              + " configuration file, built-in default (shown below)."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:stopped cleanly", "1:failed to start or crashed",
          "2:invalid command line or configuration"})
  static final class Serve implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:POSSYNC_CONFIG}",
        description = "Properties file (see conf/possync.properties); default $POSSYNC_CONFIG,"
            + " else none (built-in defaults).")
    Path config;

    @Option(names = "--host", description = "Address the POS listener listens on (http.host;"
        + " default " + HOST + ").")
    String host;

    @Option(names = "--port", description = "Port of the POS listener (http.port; default "
        + PORT + ").")
    Integer port;

    @Option(names = "--admin-port", paramLabel = "PORT", description = "Port of the status page,"
        + " metrics and health listener (admin.port; default " + ADMIN_PORT + "; 0: any free"
        + " port).")
    Integer adminPort;

    @Option(names = "--poll-timeout", paramLabel = "SECONDS",
        description = "How long a long poll is held (poll.timeout; default " + POLL_TIMEOUT
            + ").")
    Integer pollTimeout;

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "Where state is kept (store.data_dir; default " + DATA_DIR + ").")
    String dataDir;

    @Override
    public Integer call() throws Exception {
      Map<String, String> flags = new LinkedHashMap<>();
      if (host != null) {
        flags.put("http.host", host);
      }
      if (port != null) {
        flags.put("http.port", port.toString());
      }
      if (pollTimeout != null) {
        flags.put("poll.timeout", pollTimeout.toString());
      }
      if (dataDir != null) {
        flags.put("store.data_dir", dataDir);
      }
      if (adminPort != null) {
        flags.put("admin.port", adminPort.toString());
      }
      // No Java object may ever be deserialized in this process (Odoo's answers included).
      java.util.Optional<String> unsafe = SerialFilterCheck.check();
      if (unsafe.isPresent()) {
        System.err.println("possync: refusing to start: " + unsafe.get());
        return 2;
      }
      Settings settings;
      try {
        settings = Settings.load(config, System.getenv(), flags);
      } catch (SettingsException e) {
        warnAboutUnknown(Settings.unknownEnvironment(System.getenv()));
        System.err.println("possync: " + e.getMessage());
        return 2;
      }
      // After loading: a variable named by tls.keystore_password_env may look like a setting's.
      warnAboutUnknown(Settings.unknownEnvironment(System.getenv(), settings));
      PosSync node;
      try {
        node = new PosSync(settings, Clock.systemUTC());
      } catch (SettingsException e) {
        // A password or the HTTPS certificate could not be read, or auth.mode=none off loopback.
        System.err.println("possync: " + e.getMessage());
        return 2;
      } catch (StoreException e) {
        // Never start empty over state we cannot read: terminals would lose their orders.
        System.err.println("possync: refusing to start: " + e.getMessage());
        return 1;
      }
      try {
        node.start();
      } catch (Exception e) {
        // The message names the listener (POS or admin) and its address.
        System.err.println("possync: cannot start: " + e.getMessage());
        node.close();
        return 1;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          node.close();
        } catch (Exception e) {
          System.err.println("possync: error while stopping: " + e);
        }
      }, "possync-shutdown"));
      node.join();
      return 0;
    }

    private static void warnAboutUnknown(java.util.List<String> variables) {
      for (String unknown : variables) {
        System.err.println("possync: warning: environment variable " + unknown
            + " names no setting and is ignored");
      }
    }
  }
}
