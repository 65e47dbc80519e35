package io.possync.app;

import io.possync.config.SettingsException;
import io.possync.store.Backup;
import io.possync.store.StoreException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code possync backup FILE}: a consistent copy of the state, safe while the server runs. */
@Command(name = "backup", mixinStandardHelpOptions = true,
    description = "Write a consistent copy of the database to FILE, also while the server runs."
        + " To restore: stop PosSync, replace data/possync.db with the copy (and delete"
        + " possync.db-wal and possync.db-shm beside it), start PosSync.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:written", "1:the copy could not be written", "2:invalid configuration"})
final class BackupCommand implements Callable<Integer> {
  @Mixin
  DataDirOptions where = new DataDirOptions();

  @Parameters(paramLabel = "FILE", description = "Where to write the copy (must not exist).")
  Path target;

  @Override
  public Integer call() {
    Path dir;
    try {
      dir = where.dataDir();
    } catch (SettingsException e) {
      System.err.println("possync: " + e.getMessage());
      return 2;
    }
    try {
      Backup.write(dir, target);
      System.out.println("backup written to " + target);
      return 0;
    } catch (StoreException e) {
      System.err.println("possync: " + e.getMessage());
      return 1;
    }
  }
}
