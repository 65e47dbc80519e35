package io.possync.app;

import io.possync.store.StoreCopy;
import io.possync.store.StoreException;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code possync store}: the state as a whole, between one box and a cluster. */
@Command(name = "store", mixinStandardHelpOptions = true,
    description = "Move a shop's state between a SQLite data directory and a cluster's"
        + " PostgreSQL database.",
    subcommands = {StoreCommand.Copy.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:a side cannot be used (in use, not empty, unreachable) or the"
        + " copy failed", "2:invalid command line"})
final class StoreCommand implements Callable<Integer> {
  PrintStream out = System.out;
  PrintStream err = System.err;
  /** Where {@code --password-env} is looked up. */
  Map<String, String> env = System.getenv();

  @Override
  public Integer call() {
    err.println("possync: say copy (see possync store --help)");
    return 2;
  }

  /** {@code possync store copy --from SOURCE --to TARGET}. */
  @Command(name = "copy", mixinStandardHelpOptions = true,
      description = {"Copy a shop's state (multi-sessions, terminals, orders, retained"
          + " notifications and their counter, outbox, tokens) from SOURCE to TARGET, in one"
          + " transaction. A location starting with " + StoreCopy.POSTGRESQL_PREFIX
          + " is a PostgreSQL database (a cluster's store.url), anything else a SQLite data"
          + " directory (created if missing).",
          "Stop PosSync on both sides first: a source in use is refused, as is a target that"
              + " already holds state. Terminals carry on where they were after the nodes"
              + " start on the target."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:copied", "1:refused (a side in use, the target not empty) or failed"
          + " (the target is left as it was)", "2:invalid command line"})
  static final class Copy implements Callable<Integer> {
    @ParentCommand
    StoreCommand parent;

    @Option(names = "--from", required = true, paramLabel = "SOURCE",
        description = "Data directory or jdbc:postgresql: URL to copy from.")
    String from;

    @Option(names = "--to", required = true, paramLabel = "TARGET",
        description = "Data directory or jdbc:postgresql: URL to copy into; must hold no state.")
    String to;

    @Option(names = "--user", defaultValue = "possync", paramLabel = "USER",
        description = "PostgreSQL user (store.user; default ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--password-env", paramLabel = "VARIABLE",
        description = "Environment variable holding the PostgreSQL password"
            + " (store.password_env); none for peer or trust authentication.")
    String passwordEnv;

    @Override
    public Integer call() {
      String password = null;
      if (passwordEnv != null) {
        password = parent.env.get(passwordEnv);
        if (password == null || password.isEmpty()) {
          parent.err.println("possync: --password-env names " + passwordEnv
              + ", which is not set in the environment");
          return 2;
        }
      }
      StoreCopy.Location source = StoreCopy.location(from, user, password);
      StoreCopy.Location target = StoreCopy.location(to, user, password);
      for (StoreCopy.Location side : new StoreCopy.Location[] {source, target}) {
        if (side instanceof StoreCopy.DataDir d && StartChecks.inUse(d.dir())) {
          parent.err.println("possync: " + d + " is in use by a running PosSync; stop it first"
              + (side == source ? " (a copy of a live database would miss its last commits)"
                  : ""));
          return 1;
        }
      }
      StoreCopy.Summary summary;
      try {
        summary = StoreCopy.copy(source, target);
      } catch (StoreException e) {
        parent.err.println("possync: " + e.getMessage());
        return 1;
      }
      parent.out.println("copied " + source + " to " + target + ":");
      summary.rows().forEach((table, n) -> parent.out.printf("  %-22s %d%n", table, n));
      parent.out.printf("  %-22s %d (new ids continue above it)%n", "notification counter",
          summary.notificationCounter());
      return 0;
    }
  }

}
