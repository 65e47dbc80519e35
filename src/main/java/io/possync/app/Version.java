package io.possync.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The one version string: the pom's {@code project.version}, filtered into
 * {@code possync-version.properties} at build time; {@code possync --version}, the status page,
 * {@code /api/status} and the Debian package all show it.
 */
final class Version {
  static final String VALUE = read();

  private Version() {}

  /** For picocli's {@code --version}. */
  static final class Provider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"PosSync " + VALUE};
    }
  }

  private static String read() {
    try (InputStream in = Version.class.getResourceAsStream("/possync-version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      String v = p.getProperty("version", "");
      return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
