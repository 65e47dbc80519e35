package io.possync.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate made by the JDK's keytool, as an operator would make one, in both forms
 * PosSync reads: a PKCS12 keystore with its password in a file, and PEM certificate and key files.
 *
 * @param p12          the keystore, holding the key under the alias {@code possync}
 * @param passwordFile the first line is the keystore's (and the key's) password
 * @param certPem      the certificate, PEM
 * @param keyPem       the private key, unencrypted PKCS#8 PEM
 */
public record TestCertificate(Path p12, String password, Path passwordFile,
    X509Certificate certificate, PrivateKey key, Path certPem, Path keyPem) {

  /**
   * Runs {@code keytool -genkeypair} into {@code dir}.
   *
   * @param name      file name stem
   * @param algorithm RSA or EC
   * @param san       keytool's subjectAltName list, e.g. {@code ip:127.0.0.1,dns:localhost}
   */
  public static TestCertificate generate(Path dir, String name, String algorithm, String san)
      throws IOException, InterruptedException, GeneralSecurityException {
    Path p12 = dir.resolve(name + ".p12");
    String password = "secret-" + name;
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "possync", "-keyalg", algorithm,
        "-dname", "CN=PosSync test " + name, "-ext", "san=" + san, "-validity", "2",
        "-keystore", p12.toString(), "-storetype", "PKCS12",
        "-storepass", password, "-keypass", password));
    command.addAll(algorithm.equals("EC") ? List.of("-groupname", "secp256r1")
        : List.of("-keysize", "2048"));
    Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
      throw new IOException("keytool failed: " + output);
    }

    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      store.load(in, password.toCharArray());
    }
    X509Certificate cert = (X509Certificate) store.getCertificate("possync");
    PrivateKey key = (PrivateKey) store.getKey("possync", password.toCharArray());
    Path passwordFile = Files.writeString(dir.resolve(name + ".password"), password + "\n");
    Path certPem = Files.writeString(dir.resolve(name + ".crt.pem"),
        pem("CERTIFICATE", cert.getEncoded()));
    // getEncoded() of a private key is its PKCS#8 form, what PosSync expects in tls.key_file.
    Path keyPem = Files.writeString(dir.resolve(name + ".key.pem"),
        pem("PRIVATE KEY", key.getEncoded()));
    return new TestCertificate(p12, password, passwordFile, cert, key, certPem, keyPem);
  }

  /** PEM text: base64 in 64-character lines between BEGIN and END lines. */
  public static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** A TLS client context that trusts this certificate and nothing else. */
  public SSLContext trustingOnlyThis() throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("possync", certificate);
    return context(trust);
  }

  /** A TLS client context that trusts no certificate at all. */
  public static SSLContext trustingNothing() throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    return context(trust);
  }

  private static SSLContext context(KeyStore trust) throws GeneralSecurityException {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(
        TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
