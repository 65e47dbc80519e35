package io.possync.http;

import io.possync.config.SettingsException;
import io.possync.config.TlsSettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS listener's private key and certificate chain, read from {@code tls.*} and checked once
 * at start, held in an in-memory PKCS12 keystore under a random password of its own.
 *
 * @param password the in-memory keystore's password, not the operator's
 * @param chain    the server's certificate first
 */
public record ServerCertificate(KeyStore keyStore, String password,
    List<X509Certificate> chain) {
  private static final Logger LOG = LoggerFactory.getLogger(ServerCertificate.class);
  static final String ALIAS = "possync";
  private static final Pattern PEM_BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  public ServerCertificate {
    chain = List.copyOf(chain);
  }

  /**
   * Reads the certificate the settings name.
   *
   * @param env where {@code tls.keystore_password_env} is looked up
   * @throws SettingsException naming the setting when a file is missing, unreadable or wrong, the
   *                           password is wrong, or the key does not belong to the certificate
   */
  public static ServerCertificate load(TlsSettings tls, Map<String, String> env) {
    ServerCertificate loaded = tls.usesKeystore() ? fromKeystore(tls, env) : fromPem(tls);
    loaded.logAndWarn(tls.usesKeystore() ? "tls.keystore_file " + tls.keystoreFile()
        : "tls.cert_file " + tls.certFile());
    return loaded;
  }

  /** The server's own certificate. */
  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** Never shows the password (a record's default would). */
  @Override
  public String toString() {
    return "ServerCertificate[" + leaf().getSubjectX500Principal() + ", names " + names(leaf())
        + ", valid until " + leaf().getNotAfter().toInstant() + "]";
  }

  private static ServerCertificate fromKeystore(TlsSettings tls, Map<String, String> env) {
    String setting = "tls.keystore_file " + tls.keystoreFile();
    char[] password = keystorePassword(tls, env).toCharArray();
    String from = tls.keystorePasswordEnv().isEmpty()
        ? "tls.keystore_password_file " + tls.keystorePasswordFile()
        : "tls.keystore_password_env " + tls.keystorePasswordEnv();
    byte[] bytes = read("tls.keystore_file", tls.keystoreFile());
    KeyStore file;
    try {
      file = KeyStore.getInstance("PKCS12");
      file.load(new ByteArrayInputStream(bytes), password);
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new SettingsException("cannot open " + setting + ": wrong password (read from "
            + from + ")");
      }
      throw new SettingsException("cannot open " + setting + ": not a PKCS12 keystore ("
          + e.getMessage() + ")");
    } catch (GeneralSecurityException e) {
      throw new SettingsException("cannot open " + setting + ": " + e.getMessage());
    }
    List<String> keyAliases = new ArrayList<>();
    try {
      for (String alias : Collections.list(file.aliases())) {
        if (file.isKeyEntry(alias)) {
          keyAliases.add(alias);
        }
      }
      if (keyAliases.isEmpty()) {
        throw new SettingsException(setting + " holds no private key, only certificates (a"
            + " truststore?); it needs the server's key with its certificate chain");
      }
      // Several keys would leave the choice to the TLS stack; the operator should make it.
      if (keyAliases.size() > 1) {
        throw new SettingsException(setting + " holds " + keyAliases.size() + " private keys ("
            + String.join(", ", keyAliases) + "); keep only the one to serve");
      }
      String alias = keyAliases.get(0);
      Key key;
      try {
        key = file.getKey(alias, password);
      } catch (UnrecoverableKeyException e) {
        throw new SettingsException("the private key '" + alias + "' in " + setting
            + " has another password than the keystore; PosSync needs both the same");
      }
      Certificate[] chain = file.getCertificateChain(alias);
      if (!(key instanceof PrivateKey privateKey) || chain == null || chain.length == 0) {
        throw new SettingsException("the entry '" + alias + "' in " + setting
            + " is not a private key with its certificate chain");
      }
      List<X509Certificate> x509 = new ArrayList<>();
      for (Certificate c : chain) {
        x509.add((X509Certificate) c);
      }
      checkKeyType(privateKey, setting);
      if (!belongsTo(privateKey, x509.get(0).getPublicKey())) {
        throw new SettingsException("the private key '" + alias + "' in " + setting
            + " does not belong to its certificate " + x509.get(0).getSubjectX500Principal());
      }
      return inMemory(privateKey, x509);
    } catch (GeneralSecurityException e) {
      throw new SettingsException("cannot read " + setting + ": " + e.getMessage());
    } finally {
      java.util.Arrays.fill(password, '\0');
    }
  }

  private static String keystorePassword(TlsSettings tls, Map<String, String> env) {
    if (!tls.keystorePasswordEnv().isEmpty()) {
      String value = env.get(tls.keystorePasswordEnv());
      if (value == null || value.isEmpty()) {
        throw new SettingsException("tls.keystore_password_env names "
            + tls.keystorePasswordEnv() + ", which is not set in the environment");
      }
      return value;
    }
    String text = new String(read("tls.keystore_password_file", tls.keystorePasswordFile()),
        StandardCharsets.UTF_8);
    String first = text.lines().findFirst().orElse("").strip();
    if (first.isEmpty()) {
      throw new SettingsException("tls.keystore_password_file " + tls.keystorePasswordFile()
          + " is empty");
    }
    return first;
  }

  private static ServerCertificate fromPem(TlsSettings tls) {
    String certSetting = "tls.cert_file " + tls.certFile();
    String keySetting = "tls.key_file " + tls.keyFile();
    List<Block> certBlocks = blocks(certSetting, read("tls.cert_file", tls.certFile()));
    List<X509Certificate> chain = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Block b : certBlocks) {
        if (b.type().equals("CERTIFICATE")) {
          chain.add((X509Certificate) factory.generateCertificate(
              new ByteArrayInputStream(b.der())));
        }
      }
    } catch (CertificateException e) {
      throw new SettingsException(certSetting + " holds a certificate that cannot be read: "
          + e.getMessage());
    }
    if (chain.isEmpty()) {
      throw new SettingsException(certSetting + " holds no -----BEGIN CERTIFICATE----- block"
          + found(certBlocks, "PRIVATE KEY"));
    }

    List<Block> keyBlocks = blocks(keySetting, read("tls.key_file", tls.keyFile()));
    List<Block> pkcs8 = keyBlocks.stream().filter(b -> b.type().equals("PRIVATE KEY")).toList();
    if (pkcs8.isEmpty()) {
      throw new SettingsException(keySetting + noPkcs8Reason(keyBlocks, tls.keyFile()));
    }
    if (pkcs8.size() > 1) {
      throw new SettingsException(keySetting + " holds " + pkcs8.size()
          + " private keys; keep only the certificate's");
    }
    PrivateKey key = privateKey(keySetting, pkcs8.get(0).der());
    checkKeyType(key, keySetting);
    try {
      PublicKey certKey = chain.get(0).getPublicKey();
      if (!belongsTo(key, certKey)) {
        for (int i = 1; i < chain.size(); i++) {
          if (belongsTo(key, chain.get(i).getPublicKey())) {
            throw new SettingsException("the private key in " + keySetting + " belongs to"
                + " certificate " + (i + 1) + " in " + certSetting + "; list the server's"
                + " certificate first, then its CA certificates");
          }
        }
        String kinds = key.getAlgorithm().equals(certKey.getAlgorithm()) ? ""
            : " (an " + key.getAlgorithm() + " key for a certificate with an "
                + certKey.getAlgorithm() + " key)";
        throw new SettingsException("the private key in " + keySetting + " does not belong to"
            + " the certificate in " + certSetting + kinds);
      }
      return inMemory(key, chain);
    } catch (GeneralSecurityException e) {
      throw new SettingsException("cannot use " + keySetting + ": " + e.getMessage());
    }
  }

  /** Why the key file holds no unencrypted PKCS#8 key, with the command that makes one. */
  private static String noPkcs8Reason(List<Block> blocks, String file) {
    String convert = "openssl pkcs8 -topk8 -nocrypt -in " + file + " -out "
        + file.replaceFirst("\\.[A-Za-z0-9]+$", "") + "-pkcs8.pem";
    for (Block b : blocks) {
      switch (b.type()) {
        case "RSA PRIVATE KEY":
          return " holds a PKCS#1 key (-----BEGIN RSA PRIVATE KEY-----); PosSync reads"
              + " unencrypted PKCS#8 (-----BEGIN PRIVATE KEY-----): " + convert;
        case "EC PRIVATE KEY":
          return " holds an SEC1 EC key (-----BEGIN EC PRIVATE KEY-----); PosSync reads"
              + " unencrypted PKCS#8 (-----BEGIN PRIVATE KEY-----): " + convert;
        case "ENCRYPTED PRIVATE KEY":
          return " is encrypted (-----BEGIN ENCRYPTED PRIVATE KEY-----); PosSync reads"
              + " unencrypted PKCS#8 (-----BEGIN PRIVATE KEY-----), protect the file with chmod"
              + " 600 instead: " + convert;
        default:
          break;
      }
    }
    return " holds no -----BEGIN PRIVATE KEY----- block" + found(blocks, "CERTIFICATE");
  }

  private static PrivateKey privateKey(String setting, byte[] der) {
    // PKCS#8 names its algorithm inside; trying both factories avoids parsing the ASN.1 here.
    for (String algorithm : List.of("RSA", "EC")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException e) {
        // not this algorithm: try the next
      } catch (GeneralSecurityException e) {
        throw new SettingsException("cannot read " + setting + ": " + e.getMessage());
      }
    }
    throw new SettingsException(setting + " is not an RSA or EC private key in PKCS#8 form");
  }

  private static void checkKeyType(PrivateKey key, String setting) {
    if (!key.getAlgorithm().equals("RSA") && !key.getAlgorithm().equals("EC")) {
      throw new SettingsException(setting + " holds a " + key.getAlgorithm()
          + " key; PosSync serves RSA and EC keys (what browsers accept)");
    }
  }

  /** Signs a probe with the key and verifies it with the certificate's key. */
  private static boolean belongsTo(PrivateKey key, PublicKey certificateKey)
      throws GeneralSecurityException {
    if (!key.getAlgorithm().equals(certificateKey.getAlgorithm())) {
      return false;
    }
    String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    byte[] probe = "possync certificate check".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(certificateKey);
    verifier.update(probe);
    try {
      return verifier.verify(signature);
    } catch (java.security.SignatureException e) {
      return false; // e.g. an EC signature checked against another curve
    }
  }

  private static ServerCertificate inMemory(PrivateKey key, List<X509Certificate> chain)
      throws GeneralSecurityException {
    byte[] random = new byte[18];
    new SecureRandom().nextBytes(random);
    String password = Base64.getEncoder().encodeToString(random);
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create an empty PKCS12 keystore", e);
    }
    store.setKeyEntry(ALIAS, key, password.toCharArray(), chain.toArray(new Certificate[0]));
    return new ServerCertificate(store, password, chain);
  }

  private void logAndWarn(String source) {
    X509Certificate cert = leaf();
    Set<String> names = names(cert);
    LOG.info("event=tls_certificate source='{}' subject='{}' names={} not_after={}", source,
        cert.getSubjectX500Principal(), names, cert.getNotAfter().toInstant());
    // Browsers ignore the common name: without subjectAltName no address or name matches.
    if (names.isEmpty()) {
      LOG.warn("event=tls_certificate_without_names source='{}' message='the certificate has no"
          + " subjectAltName; browsers will refuse it for every address (see docs/tls.md)'",
          source);
    }
    try {
      cert.checkValidity();
    } catch (CertificateExpiredException e) {
      LOG.warn("event=tls_certificate_expired source='{}' not_after={} message='browsers will"
          + " refuse it: renew the certificate'", source, cert.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      LOG.warn("event=tls_certificate_not_yet_valid source='{}' not_before={} message='check"
          + " the clock of this box'", source, cert.getNotBefore().toInstant());
    }
  }

  /** The DNS names and IP addresses the certificate is for (subjectAltName). */
  private static Set<String> names(X509Certificate cert) {
    Set<String> names = new LinkedHashSet<>();
    try {
      Collection<List<?>> san = cert.getSubjectAlternativeNames();
      if (san != null) {
        for (List<?> entry : san) {
          int type = (Integer) entry.get(0);
          if (type == 2 || type == 7) { // dNSName, iPAddress
            names.add(String.valueOf(entry.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // only for the log line: show none
    }
    return names;
  }

  private static byte[] read(String setting, String file) {
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new SettingsException("cannot read " + setting + " " + file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new SettingsException("cannot read " + setting + " " + file
          + ": permission denied (PosSync runs as " + System.getProperty("user.name") + ")");
    } catch (IOException e) {
      throw new SettingsException("cannot read " + setting + " " + file + ": " + e.getMessage());
    }
  }

  /** One PEM block: its type (the word(s) after BEGIN) and its decoded content. */
  private record Block(String type, byte[] der) {}

  private static List<Block> blocks(String setting, byte[] file) {
    List<Block> out = new ArrayList<>();
    Matcher m = PEM_BLOCK.matcher(new String(file, StandardCharsets.US_ASCII));
    while (m.find()) {
      try {
        // The MIME decoder skips line breaks (LF or CRLF) inside the block.
        out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2).strip())));
      } catch (IllegalArgumentException e) {
        throw new SettingsException(setting + ": the -----BEGIN " + m.group(1)
            + "----- block is not valid base64");
      }
    }
    return out;
  }

  /** What the file holds instead, and a hint when it holds what the other file should. */
  private static String found(List<Block> blocks, String otherFilesType) {
    if (blocks.isEmpty()) {
      return " (it is not a PEM file; a DER or PKCS12 file? see docs/tls.md)";
    }
    List<String> types = blocks.stream().map(Block::type).distinct().toList();
    return " (it holds " + String.join(", ", types) + (types.contains(otherFilesType)
        ? "; are tls.cert_file and tls.key_file swapped?)" : ")");
  }
}
