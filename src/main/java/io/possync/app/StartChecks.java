package io.possync.app;

import io.possync.config.Settings;
import io.possync.store.SqliteStore;
import io.possync.store.StoreException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@code serve} needs of the machine beyond a valid configuration: a usable data directory
 * and free ports. {@code possync check} asks the same questions without writing anything, so that
 * it never says "valid" for what {@code serve} then refuses; {@code serve} uses the same words
 * when a port turns out to be taken.
 */
final class StartChecks {
  private StartChecks() {}

  /** One listener {@code serve} would open. */
  record Listener(String what, String settings, String flag, String host, int port) {}

  /**
   * Why {@code serve} could not use {@code dir} as its data directory (it creates it when
   * missing), or empty. Writes nothing.
   */
  static Optional<String> dataDirProblem(Path dir) {
    Path abs = dir.toAbsolutePath();
    if (!Files.exists(abs)) {
      Path parent = abs.getParent();
      while (parent != null && !Files.exists(parent)) {
        parent = parent.getParent();
      }
      if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
        return Optional.of("store.data_dir " + abs + " does not exist and cannot be created ("
            + parent + " is not a writable directory for user " + System.getProperty("user.name")
            + ")");
      }
      return Optional.empty();
    }
    if (!Files.isDirectory(abs)) {
      return Optional.of("store.data_dir: cannot create data directory " + abs + ": a file of"
          + " that name is in the way");
    }
    if (!Files.isWritable(abs)) {
      return Optional.of("store.data_dir " + abs + " is not writable for user "
          + System.getProperty("user.name"));
    }
    for (String name : List.of("possync.db", "possync.db-wal", SqliteStore.LOCK_FILE)) {
      Path f = abs.resolve(name);
      if (Files.exists(f) && !(Files.isReadable(f) && Files.isWritable(f))) {
        return Optional.of(f + " is not readable and writable for user "
            + System.getProperty("user.name"));
      }
    }
    return Optional.empty();
  }

  /**
   * Why {@code serve} would refuse the database in {@code dir} (damaged, newer, not one), or
   * empty; only while no PosSync holds the directory.
   */
  static Optional<String> databaseProblem(Path dir) {
    if (inUse(dir)) {
      return Optional.empty();
    }
    try {
      SqliteStore.inspect(dir);
      return Optional.empty();
    } catch (StoreException e) {
      return Optional.of(e.getMessage());
    }
  }

  /** True when a running PosSync holds the data directory's lock (read only: nothing created). */
  static boolean inUse(Path dir) {
    Path lock = dir.toAbsolutePath().resolve(SqliteStore.LOCK_FILE);
    if (!Files.isRegularFile(lock)) {
      return false;
    }
    try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
      FileLock held = channel.tryLock();
      if (held == null) {
        return true;
      }
      held.release();
      return false;
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return true; // a PosSync in this very JVM holds it (an embedded or in-process node)
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The listeners of these settings that have a fixed port (port 0 is always free). */
  static List<Listener> listeners(Settings s) {
    List<Listener> out = new ArrayList<>();
    out.add(new Listener("POS listener", "http.host, http.port", "--port", s.http().host(),
        s.http().port()));
    if (s.tls().enabled()) {
      out.add(new Listener("HTTPS listener", "tls.host, tls.port", "tls.port", s.tls().host(),
          s.tls().port()));
    }
    out.add(new Listener("admin listener", "admin.host, admin.port", "--admin-port",
        s.admin().host(), s.admin().port()));
    return out.stream().filter(l -> l.port() != 0).toList();
  }

  /** Why {@code serve} could not listen there now, or empty. Binds and closes at once. */
  static Optional<String> portProblem(Listener l) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true); // as Jetty does: a port in TIME_WAIT is usable
      socket.bind(new InetSocketAddress(l.host(), l.port()));
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(l.what() + " (" + l.settings() + ") cannot listen on " + l.host() + ":"
          + l.port() + ": " + explain(e, l.flag()));
    }
  }

  /**
   * The failure in words; when the port is taken, says so and how to choose another, since
   * Jetty's own "Failed to bind" does not.
   */
  static String explain(IOException e, String flag) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException && String.valueOf(t.getMessage()).contains("in use")) {
        return e.getMessage() + " (port in use: another program, or another PosSync, listens"
            + " there; stop it or choose another port with " + flag + ")";
      }
    }
    return e.getMessage();
  }
}
