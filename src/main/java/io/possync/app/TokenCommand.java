package io.possync.app;

import io.possync.config.AuthMode;
import io.possync.config.Settings;
import io.possync.config.SettingsException;
import io.possync.http.AccessTokens;
import io.possync.store.AccessToken;
import io.possync.store.SqliteStore;
import io.possync.store.TokenTables;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code possync token}: capability tokens for {@code auth.mode=token}. */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Create, list and revoke the access tokens of auth.mode=token.",
    subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class,
        TokenCommand.Revoke.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:nothing matched, or the data directory cannot be used",
        "2:invalid command line or configuration"})
final class TokenCommand implements Callable<Integer> {
  @Mixin
  DataDirOptions where = new DataDirOptions();

  PrintStream out = System.out;
  PrintStream err = System.err;

  @Override
  public Integer call() {
    err.println("possync: say create, list or revoke (see possync token --help)");
    return 2;
  }

  Settings settings() {
    return where.settings();
  }

  int with(java.util.function.ToIntFunction<TokenTables> action) {
    return where.with(TokenTables::open, TokenTables::open, action, err);
  }

  /**
   * Creates the store when the data directory has none yet: a token is the first step of a
   * secure setup, before the first {@code serve}. A running server holds its store already.
   */
  private int withStore(java.util.function.ToIntFunction<TokenTables> action) {
    return where.with(dir -> {
      if (!Files.isRegularFile(dir.resolve("possync.db"))) {
        SqliteStore.open(dir, SqliteStore.SyncPolicy.POWER, 0).close();
        err.println("possync: created a new PosSync database in " + dir.toAbsolutePath());
      }
      return TokenTables.open(dir);
    }, TokenTables::open, action, err); // a cluster's schema is created by the first open
  }

  /** Stands for the box's address when the server listens on every address. */
  static final String UNKNOWN_HOST = "THIS-BOX-ADDRESS";

  /** {@code possync token create}. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a token for one multi-session and print the sync_server value to"
          + " paste into Odoo (Point of Sale > Multi-sessions > Sync Server).")
  static final class Create implements Callable<Integer> {
    @ParentCommand
    TokenCommand parent;

    @Option(names = "--db", required = true, description = "The Odoo database (POS dbname).")
    String db;

    @Option(names = "--multi-session", required = true, paramLabel = "ID",
        description = "The multi-session's id in Odoo.")
    long multiSession;

    @Option(names = "--label", description = "A note for the list, e.g. the shop's name.")
    String label;

    @Option(names = "--base-url", paramLabel = "URL", description = "How the POS browsers reach"
        + " PosSync, e.g. https://192.168.1.20:8443 (default: from the configuration).")
    String baseUrl;

    @Override
    public Integer call() {
      String base;
      Settings settings;
      try {
        settings = parent.settings();
        base = baseUrl != null ? baseUrl.replaceAll("/+$", "") : base(settings);
      } catch (SettingsException e) {
        parent.err.println("possync: " + e.getMessage());
        return 2;
      }
      String secret = AccessTokens.newSecret();
      return parent.withStore(admin -> {
        admin.create(AccessTokens.hash(secret), db, multiSession, label,
            System.currentTimeMillis());
        parent.out.println(base + "/t/" + secret);
        parent.err.println("Paste the line above as the multi-session's Sync Server. It is shown"
            + " only now: PosSync keeps only its hash. Anyone holding it can use multi-session "
            + multiSession + " of " + db + "; revoke it with 'possync token revoke "
            + AccessTokens.hash(secret).substring(0, 12) + "'.");
        warnings(settings).forEach(w -> parent.err.println("possync: warning: " + w));
        return 0;
      });
    }

    /** What would keep the printed address from working on a tablet. */
    private List<String> warnings(Settings s) {
      List<String> out = new ArrayList<>();
      if (s.access().mode() != AuthMode.TOKEN) {
        out.add("the configuration has auth.mode=" + s.access().mode() + ": the server answers"
            + " /t/... addresses only with auth.mode=token; set it in the configuration"
            + " (or POSSYNC_AUTH_MODE=token) before starting it");
      }
      String host = s.tls().enabled() ? s.tls().host() : s.http().host();
      if (baseUrl == null && isLoopback(host)) {
        out.add("the address above is a loopback address (" + host + "): a"
            + " tablet can never reach it. Give the address the POS browsers use, e.g."
            + " --base-url https://192.168.1.20:" + (s.tls().enabled() ? s.tls().port() : 8443)
            + ", and let the server listen on the network (http.host, tls.port; see README)");
      } else if (baseUrl == null && base(s).contains(UNKNOWN_HOST)) {
        out.add("replace " + UNKNOWN_HOST + " by this box's address as the tablets reach it,"
            + " or give it with --base-url");
      }
      return out;
    }

    /** The listener as the configuration names it: the HTTPS one when there is one. */
    private static String base(Settings s) {
      boolean tls = s.tls().enabled();
      String host = tls ? s.tls().host() : s.http().host();
      if (host.equals("0.0.0.0") || host.equals("::")) {
        host = UNKNOWN_HOST;
      }
      return (tls ? "https://" : "//") + host + ":" + (tls ? s.tls().port() : s.http().port())
          + s.http().pathPrefix();
    }

    private static boolean isLoopback(String host) {
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return host.equalsIgnoreCase("localhost");
      }
    }
  }

  /** {@code possync token list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens.")
  static final class ListTokens implements Callable<Integer> {
    @ParentCommand
    TokenCommand parent;

    @Option(names = "--json", description = "A JSON array of the tokens (never their secrets).")
    boolean json;

    @Override
    public Integer call() {
      return parent.with(admin -> {
        if (json) {
          CliJson.print(parent.out, admin.list().stream().map(CliJson.Token::of).toList());
          return 0;
        }
        parent.out.printf("%-12s %-12s %-14s %-24s %-8s %s%n", "ID", "DB", "MULTI-SESSION",
            "CREATED", "STATE", "LABEL");
        for (AccessToken t : admin.list()) {
          parent.out.printf("%-12s %-12s %-14d %-24s %-8s %s%n", t.id(), t.dbname(),
              t.multiSessionId(), Instant.ofEpochMilli(t.createdAt()),
              t.revokedAt() == null ? "valid" : "revoked", t.label() == null ? "" : t.label());
        }
        return 0;
      });
    }
  }

  /** {@code possync token revoke}. */
  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a token (within 10 s on a running server).")
  static final class Revoke implements Callable<Integer> {
    @ParentCommand
    TokenCommand parent;

    @Parameters(paramLabel = "ID", description = "The token's id (see list).")
    String id;

    @Override
    public Integer call() {
      return parent.with(admin -> {
        int n = admin.revoke(id, System.currentTimeMillis());
        parent.out.println(n > 0 ? "revoked " + id : "no valid token with id " + id);
        return n > 0 ? 0 : 1;
      });
    }
  }
}
