package io.possync.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Secrets of capability tokens: how they are made and the hash under which they are kept. */
public final class AccessTokens {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a lookup by hash finds. */
  public record Binding(String dbname, long multiSessionId, boolean revoked) {}

  private AccessTokens() {}

  /** A new secret: 32 random bytes, URL-safe base64 (43 characters, fits a path segment). */
  public static String newSecret() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** What is stored and looked up: SHA-256 of the secret, hex. */
  public static String hash(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
