package io.possync.app;

import io.possync.config.OdooBackend;
import io.possync.config.SettingsException;
import io.possync.odoo.OdooConnection;
import io.possync.outbox.OutboxPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The configured Odoo backends with their passwords read from the environment or a file, and the
 * outbox policy they imply. Secrets are read once at start and never logged.
 */
final class OdooBackends implements OutboxPolicy {
  private final List<OdooConnection> connections;
  private final Set<String> dbnames;
  private final boolean reconcile;

  private OdooBackends(List<OdooConnection> connections, boolean reconcile) {
    this.connections = List.copyOf(connections);
    this.dbnames = connections.stream().map(OdooConnection::posDbname).collect(Collectors.toSet());
    this.reconcile = reconcile;
  }

  /**
   * @throws SettingsException naming the setting when a password cannot be read
   */
  static OdooBackends resolve(List<OdooBackend> backends, boolean reconcile,
      Map<String, String> env) {
    List<OdooConnection> out = new ArrayList<>();
    for (OdooBackend b : backends) {
      out.add(new OdooConnection(b.name(), URI.create(b.url()), b.database(), b.login(),
          password(b, env), b.posDbname()));
    }
    return new OdooBackends(out, reconcile);
  }

  private static String password(OdooBackend b, Map<String, String> env) {
    String prefix = "odoo." + b.name() + ".";
    if (!b.passwordEnv().isEmpty()) {
      String value = env.get(b.passwordEnv());
      if (value == null || value.isEmpty()) {
        throw new SettingsException(prefix + "password_env names " + b.passwordEnv()
            + ", which is not set in the environment");
      }
      return value;
    }
    try {
      List<String> lines = Files.readAllLines(Path.of(b.passwordFile()), StandardCharsets.UTF_8);
      if (lines.isEmpty() || lines.get(0).strip().isEmpty()) {
        throw new SettingsException(prefix + "password_file " + b.passwordFile() + " is empty");
      }
      return lines.get(0).strip();
    } catch (IOException e) {
      throw new SettingsException("cannot read " + prefix + "password_file " + b.passwordFile()
          + ": " + e.getClass().getSimpleName());
    }
  }

  List<OdooConnection> connections() {
    return connections;
  }

  @Override
  public boolean delivers(String dbname) {
    return dbnames.contains(dbname);
  }

  @Override
  public boolean reconciles(String dbname) {
    return reconcile && dbnames.contains(dbname);
  }
}
