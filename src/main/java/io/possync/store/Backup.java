package io.possync.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;

/**
 * A consistent copy of the database while the server runs: SQLite's {@code VACUUM INTO} reads one
 * snapshot (WAL readers never block the writer) and writes a compact standalone file.
 */
public final class Backup {
  private Backup() {}

  /**
   * Writes a backup of {@code dataDir}'s database to {@code target}, which must not exist.
   *
   * @throws StoreException if the data directory or the target cannot be used
   */
  public static void write(Path dataDir, Path target) {
    if (Files.exists(target)) {
      throw new StoreException(target + " exists already; choose a new file name");
    }
    try (SqliteDatabase db = SqliteDatabase.openBeside(dataDir)) {
      db.read("backup to " + target + " failed", c -> {
        try (PreparedStatement p = c.prepareStatement("VACUUM INTO ?")) {
          p.setString(1, target.toAbsolutePath().toString());
          return p.execute();
        }
      });
    }
  }
}
