package io.possync.app;

import io.possync.config.Settings;
import io.possync.config.SettingsException;
import io.possync.http.AccessTokens;
import io.possync.store.AccessToken;
import io.possync.store.TokenAdmin;
import java.io.PrintStream;
import java.time.Instant;
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

  int with(java.util.function.ToIntFunction<TokenAdmin> action) {
    return where.with(TokenAdmin::open, action, err);
  }

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
      try {
        base = baseUrl != null ? baseUrl.replaceAll("/+$", "") : defaultBase(parent.settings());
      } catch (SettingsException e) {
        parent.err.println("possync: " + e.getMessage());
        return 2;
      }
      String secret = AccessTokens.newSecret();
      return parent.with(admin -> {
        admin.create(AccessTokens.hash(secret), db, multiSession, label,
            System.currentTimeMillis());
        parent.out.println(base + "/t/" + secret);
        parent.err.println("Paste the line above as the multi-session's Sync Server. It is shown"
            + " only now: PosSync keeps only its hash. Anyone holding it can use multi-session "
            + multiSession + " of " + db + "; revoke it with 'possync token revoke "
            + AccessTokens.hash(secret).substring(0, 12) + "'.");
        return 0;
      });
    }

    private static String defaultBase(Settings s) {
      String host = s.host();
      if (host.equals("0.0.0.0") || host.equals("::")) {
        host = "THIS-BOX-ADDRESS";
      }
      return "//" + host + ":" + s.port() + s.pathPrefix();
    }
  }

  /** {@code possync token list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens.")
  static final class ListTokens implements Callable<Integer> {
    @ParentCommand
    TokenCommand parent;

    @Override
    public Integer call() {
      return parent.with(admin -> {
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
