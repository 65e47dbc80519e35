package io.possync.app;

import io.possync.config.Settings;
import io.possync.config.SettingsException;
import io.possync.http.ServerCertificate;
import io.possync.odoo.OdooClient;
import io.possync.odoo.OdooClientFactory;
import io.possync.odoo.OdooConnection;
import io.possync.odoo.OdooFailure;
import io.possync.odoo.OdooVersion;
import io.possync.odoo.SerialFilterCheck;
import io.possync.odoo.XmlRpcOdooClient;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code possync check}: is the configuration one {@code possync serve} accepts, and does every
 * Odoo backend answer and accept the login? Says so in plain words, one line per backend. Each
 * backend is asked once ({@code version}, {@code authenticate}); a refused login is never retried
 * (Odoo locks an address out after repeated failures). Nothing is written anywhere.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Check everything possync serve checks at start (every setting, Odoo passwords"
        + " and TLS files readable, the data directory usable, the ports free) and log in once to"
        + " every Odoo backend (version, authenticate). Writes nothing, to Odoo or to the data"
        + " directory; a refused login is not retried."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the configuration is valid and every Odoo backend accepted the login",
        "1:the configuration is valid, but some Odoo backend could not be reached or refused"
            + " the login",
        "2:invalid command line or configuration, or serve would refuse to start (TLS files,"
            + " data directory, a port in use)"})
final class CheckCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:POSSYNC_CONFIG}",
      description = "Properties file to check (see conf/possync.properties);"
          + " default $POSSYNC_CONFIG.")
  Path config;

  @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "3",
      description = "Give up on an Odoo backend that accepts no connection within this many"
          + " seconds (at most odoo.connect_timeout; default ${DEFAULT-VALUE}).")
  int connectTimeout;

  PrintStream out = System.out;
  Map<String, String> env = System.getenv();
  OdooClientFactory clients = XmlRpcOdooClient::new;

  @Override
  public Integer call() {
    String source = config == null
        ? "(built-in defaults: no --config and no $POSSYNC_CONFIG)" : config.toString();
    Settings settings;
    Exposure.Risk risk;
    List<OdooConnection> connections;
    List<OdooClient> backends = new ArrayList<>();
    Duration connect;
    try {
      settings = Settings.load(config, env, Map.of());
      risk = Exposure.assess(settings);
      connections = OdooBackends.resolve(settings.odoo().backends(), settings.reconcile().enabled(),
          env).connections();
      if (settings.tls().enabled()) {
        ServerCertificate.load(settings.tls(), env); // as serve: files, password, key and chain
      }
      connect = Duration.ofSeconds(Math.max(1, Math.min(connectTimeout,
          settings.odoo().connectTimeout().toSeconds())));
      for (OdooConnection c : connections) {
        try {
          backends.add(clients.create(c, connect, settings.odoo().replyTimeout()));
        } catch (IllegalArgumentException e) {
          throw new SettingsException("odoo." + c.name() + ".url: " + e.getMessage());
        }
      }
    } catch (SettingsException e) {
      out.println("configuration " + source + ": invalid: " + e.getMessage());
      return 2;
    }
    List<String> refusals = startProblems(settings);
    if (!refusals.isEmpty()) {
      out.println("configuration " + source + ": valid, but possync serve would refuse to start:");
      refusals.forEach(r -> out.println("  " + r));
      return 2;
    }
    out.println("configuration " + source + ": valid");
    notes(settings, risk);

    if (connections.isEmpty()) {
      out.println("no Odoo backend is configured (odoo.<name>.*): nothing to connect to;"
          + " terminals write their paid orders to Odoo themselves");
      return 0;
    }
    int failed = 0;
    for (int i = 0; i < connections.size(); i++) {
      OdooConnection c = connections.get(i);
      String who = c.name() + " (" + c.url() + ", database " + c.database() + ")";
      out.println("asking " + who + " ...");
      try {
        OdooVersion version = backends.get(i).version();
        backends.get(i).authenticate(); // once: Odoo locks an address out after 5 failures
        out.println(who + ": Odoo " + version.series() + ", login " + c.login() + " OK");
      } catch (OdooFailure f) {
        failed++;
        out.println(who + ": " + explain(c, f, connect, settings.odoo().replyTimeout()));
      }
    }
    if (failed > 0) {
      out.println(failed + " of " + connections.size() + " Odoo backend"
          + (connections.size() == 1 ? "" : "s") + " failed");
    }
    return failed == 0 ? 0 : 1;
  }

  /**
   * What stops {@code serve} beyond the configuration: an unusable data directory, a port in use.
   * A PosSync already running on this data directory holds both; that is fine for a check.
   */
  private List<String> startProblems(Settings settings) {
    List<String> problems = new ArrayList<>();
    StartChecks.dataDirProblem(settings.store().dataDir()).ifPresent(problems::add);
    if (problems.isEmpty()) {
      StartChecks.databaseProblem(settings.store().dataDir()).ifPresent(problems::add);
    }
    if (StartChecks.inUse(settings.store().dataDir())) {
      out.println("  note: a PosSync is running on " + settings.store().dataDir().toAbsolutePath()
          + "; its ports are not checked");
      return problems;
    }
    for (StartChecks.Listener l : StartChecks.listeners(settings)) {
      StartChecks.portProblem(l).ifPresent(problems::add);
    }
    return problems;
  }

  /** What an operator should know although the configuration is valid. */
  private void notes(Settings settings, Exposure.Risk risk) {
    for (String unknown : Settings.unknownEnvironment(env)) {
      out.println("  warning: environment variable " + unknown
          + " names no setting and is ignored");
    }
    switch (risk) {
      case OPEN_ON_LOOPBACK -> out.println("  note: auth.mode=none: whoever can reach "
          + settings.http().host() + " can read and change every order (fine on loopback only)");
      case OPEN_ON_NETWORK -> out.println("  warning: auth.mode=none on " + settings.http().host()
          + " with auth.allow_insecure=true: no authentication on a network address");
      default -> { }
    }
    // serve installs the filter itself when no -Djdk.serialFilter is given; a weak one refuses it.
    if (System.getProperty("jdk.serialFilter") != null) {
      SerialFilterCheck.check().ifPresent(problem -> out.println("  warning: " + problem
          + " (possync serve refuses to start with it)"));
    }
  }

  /** A failure in plain words: what happened, and whether anything was retried. */
  static String explain(OdooConnection c, OdooFailure f, Duration connect, Duration reply) {
    return switch (f.kind()) {
      case AUTHENTICATION -> f.faultCode() == 0
          ? "login " + c.login() + ": wrong login or password (Odoo refused it; nothing was"
              + " retried)"
          : "login " + c.login() + " refused: " + f.getMessage() + " (nothing was retried)";
      case UNREACHABLE -> "cannot reach it (" + reason(f, connect, reply) + ")";
      case AMBIGUOUS -> "no usable answer (" + reason(f, connect, reply) + ")";
      case BUSY -> "Odoo answered that it is busy; try again in a while (" + f.getMessage() + ")";
      case MISCONFIGURED -> "not usable as configured: " + f.getMessage();
      case ORDER_REJECTED -> "refused: " + f.getMessage();
    };
  }

  /** The network-level cause in a few words, else the failure's own message. */
  private static String reason(OdooFailure f, Duration connect, Duration reply) {
    for (Throwable t = f.getCause(); t != null; t = t.getCause()) {
      if (t instanceof ConnectException && String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT)
          .contains("refused")) {
        return "connection refused";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host " + t.getMessage();
      }
      if (t instanceof NoRouteToHostException) {
        return "no route to host";
      }
      if (t instanceof SocketTimeoutException && f.kind() == OdooFailure.Kind.UNREACHABLE) {
        return "no connection within " + connect.toSeconds() + " s";
      }
      if (t instanceof SocketTimeoutException) {
        return "no answer within " + reply.toSeconds() + " s, odoo.reply_timeout";
      }
    }
    return f.getMessage();
  }
}
