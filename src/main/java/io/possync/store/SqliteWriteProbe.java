package io.possync.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Whether the store could take a write now: room on the disk, and room under
 * {@code store.max_bytes} (SQLite's {@code max_page_count}). For the readiness probe.
 */
final class SqliteWriteProbe {
  private final SqliteDatabase db;

  SqliteWriteProbe(SqliteDatabase db) {
    this.db = db;
  }

  /** See {@link Store#checkWritable}. Writer thread only. */
  void checkWritable(int bytes) {
    Path dataDir = db.dataDir();
    long usable;
    try {
      usable = Files.getFileStore(dataDir).getUsableSpace();
    } catch (IOException e) {
      throw new StoreException("cannot read the free space of " + dataDir + ": " + e, e);
    }
    if (usable < bytes) {
      throw new StoreException("the disk holding " + dataDir + " is full (" + usable
          + " bytes free)");
    }
    // A rolled-back insert allocates pages like a real commit does, so it meets store.max_bytes
    // (SQLite's max_page_count) exactly where a commit would; ids are positive, -1 is never used.
    try (PreparedStatement p = db.writer.prepareStatement(
        "INSERT INTO notifications (id, channel, created_at, body)"
            + " VALUES (-1, '', 0, zeroblob(?))")) {
      db.begin();
      try {
        p.setInt(1, bytes);
        p.executeUpdate();
      } finally {
        db.rollbackQuietly();
      }
    } catch (SQLException e) {
      throw new StoreException("the store cannot take a write of " + bytes + " bytes: "
          + e.getMessage(), e);
    }
  }
}
