package io.possync.app;

import io.possync.outbox.OutboxPause;
import io.possync.outbox.OutboxRow;
import io.possync.outbox.OutboxState;
import io.possync.outbox.OutboxStore;
import io.possync.store.OutboxTables;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code possync outbox}: see and steer the orders waiting for Odoo. */
@Command(name = "outbox", mixinStandardHelpOptions = true,
    description = "Inspect and steer the orders waiting to be written to Odoo.",
    subcommands = {OutboxCommand.ListEntries.class, OutboxCommand.Retry.class,
        OutboxCommand.Drop.class, OutboxCommand.Resume.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:nothing matched, or the data directory cannot be read",
        "2:invalid command line or configuration"})
final class OutboxCommand implements Callable<Integer> {
  @Mixin
  DataDirOptions where = new DataDirOptions();

  PrintStream out = System.out;
  PrintStream err = System.err;

  @Override
  public Integer call() {
    return new ListEntries().run(this);
  }

  /**
   * Runs {@code action} on the outbox of the configured data directory. Its writes go straight
   * to the database beside the running server (SQLite's locking keeps both consistent) and are
   * done when they return.
   */
  int with(java.util.function.ToIntFunction<OutboxStore> action) {
    return where.with(OutboxTables::open, OutboxTables::open, action::applyAsInt, err);
  }

  /** {@code possync outbox list}. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List outbox entries, newest first, and paused databases.")
  static final class ListEntries implements Callable<Integer> {
    @ParentCommand
    OutboxCommand parent;

    @Option(names = "--db", description = "Only this POS dbname.")
    String db;

    @Option(names = "--state", description = "Only this state: ${COMPLETION-CANDIDATES}.")
    OutboxState state;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default 50).")
    int limit;

    @Option(names = "--json", description = "One JSON document: {paused: [...], entries: [...]}"
        + " (names and times as in /api/status).")
    boolean json;

    @Override
    public Integer call() {
      return run(parent);
    }

    int run(OutboxCommand p) {
      return p.with(admin -> {
        if (json) {
          CliJson.print(p.out, new CliJson.OutboxList(
              admin.pauses().stream().map(CliJson.Pause::of).toList(),
              admin.list(db, state, limit).stream().map(CliJson::item).toList()));
          return 0;
        }
        for (OutboxPause pause : admin.pauses()) {
          p.out.printf("PAUSED %s since %s: %s%n", pause.dbname(),
              Instant.ofEpochMilli(pause.since()), pause.reason());
        }
        List<OutboxRow> rows = admin.list(db, state, limit);
        p.out.printf("%-6s %-10s %-9s %-8s %-22s %-28s %8s %s%n", "ID", "DB", "KIND", "STATE",
            "ORDER UID", "REFERENCE", "ATTEMPTS", "LAST ERROR / ODOO ID");
        for (OutboxRow r : rows) {
          String detail = r.lastError() != null ? r.lastError()
              : r.odooOrderId() != null ? "odoo id " + r.odooOrderId() : "";
          p.out.printf("%-6d %-10s %-9s %-8s %-22s %-28s %8d %s%n", r.id(), r.dbname(),
              r.kind().name().toLowerCase(java.util.Locale.ROOT), r.state().wire(), r.uid(),
              r.posReference(), r.attempts(), detail);
        }
        return 0;
      });
    }
  }

  /** {@code possync outbox retry}. */
  @Command(name = "retry", mixinStandardHelpOptions = true,
      description = "Try an entry again now (dead, missing or waiting), or every dead entry of a"
          + " database with --dead --db.")
  static final class Retry implements Callable<Integer> {
    @ParentCommand
    OutboxCommand parent;

    @Parameters(arity = "0..1", paramLabel = "ID", description = "The entry's id (see list).")
    Long id;

    @Option(names = "--db", description = "With --dead: the POS dbname.")
    String db;

    @Option(names = "--dead", description = "Every dead entry of --db.")
    boolean dead;

    @Override
    public Integer call() {
      boolean valid = id != null ? !dead : dead && db != null;
      if (!valid) {
        parent.err.println("possync: give an entry ID, or --dead --db DBNAME");
        return 2;
      }
      return parent.with(admin -> {
        long now = System.currentTimeMillis();
        int n = (id != null ? admin.retry(id, now) : admin.retryDead(db, now)).join();
        parent.out.println(n + " entr" + (n == 1 ? "y" : "ies") + " will be tried again");
        return n > 0 ? 0 : 1;
      });
    }
  }

  /** {@code possync outbox drop}. */
  @Command(name = "drop", mixinStandardHelpOptions = true,
      description = "Give up on an entry (it stays listed as dropped).")
  static final class Drop implements Callable<Integer> {
    @ParentCommand
    OutboxCommand parent;

    @Parameters(paramLabel = "ID", description = "The entry's id (see list).")
    long id;

    @Override
    public Integer call() {
      return parent.with(admin -> {
        int n = admin.drop(id, System.currentTimeMillis()).join();
        parent.out.println(n == 1 ? "entry " + id + " dropped" : "no such open entry: " + id);
        return n == 1 ? 0 : 1;
      });
    }
  }

  /** {@code possync outbox resume}. */
  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Resume a database's outbox paused after Odoo refused the login or the"
          + " configuration (fix the odoo.* settings first).")
  static final class Resume implements Callable<Integer> {
    @ParentCommand
    OutboxCommand parent;

    @Option(names = "--db", required = true, description = "The POS dbname.")
    String db;

    @Override
    public Integer call() {
      return parent.with(admin -> {
        int n = admin.resume(db).join();
        parent.out.println(n == 1 ? "outbox of " + db + " resumed" : db + " was not paused");
        return n == 1 ? 0 : 1;
      });
    }
  }
}
