package io.possync.config;

/**
 * The HTTPS listener from {@code tls.*}: where it listens and where its certificate is, either a
 * PKCS12 keystore or a PEM certificate chain with its private key. Empty strings stand for settings
 * not given. Like Odoo passwords, the keystore password is not here: only where to read it.
 *
 * @param enabled whether there is an HTTPS listener ({@code tls.port} is not 0)
 * @param port    0 with {@code enabled} for a port the OS chooses ({@link Settings#withTlsPort})
 * @param host    already defaulted to {@code http.host}
 */
public record TlsSettings(boolean enabled, int port, String host, String keystoreFile,
    String keystorePasswordEnv, String keystorePasswordFile, String certFile, String keyFile) {

  /** Enabled on {@code newPort} (0: one the OS chooses), the certificate settings unchanged. */
  public TlsSettings withPort(int newPort) {
    return new TlsSettings(true, newPort, host, keystoreFile, keystorePasswordEnv,
        keystorePasswordFile, certFile, keyFile);
  }

  /** Whether the certificate comes from a PKCS12 keystore (else from PEM files). */
  public boolean usesKeystore() {
    return !keystoreFile.isEmpty();
  }

  /** Whether any certificate setting is given (they do nothing while {@code tls.port} is 0). */
  public boolean hasCertificateSettings() {
    return !keystoreFile.isEmpty() || !keystorePasswordEnv.isEmpty()
        || !keystorePasswordFile.isEmpty() || !certFile.isEmpty() || !keyFile.isEmpty();
  }
}
