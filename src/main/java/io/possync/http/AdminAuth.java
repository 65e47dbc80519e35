package io.possync.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * The admin listener's door: HTTP Basic with any user name and the token as password (so that a
 * browser asks for it natively), or {@code Authorization: Bearer <token>} for scripts. With no
 * token every request is admitted; start-up allows that on a loopback address only.
 */
final class AdminAuth {
  /** What a refused request is told, so that browsers show their password prompt. */
  static final String CHALLENGE = "Basic realm=\"PosSync admin\", charset=\"UTF-8\"";

  /** SHA-256 of the token, or null for none: compared as digests, in constant time. */
  private final byte[] tokenDigest;

  AdminAuth(String token) {
    this.tokenDigest = token.isEmpty() ? null : digest(token);
  }

  /** Whether a request with this {@code Authorization} header (null if absent) may pass. */
  boolean admits(String authorization) {
    if (tokenDigest == null) {
      return true;
    }
    String secret = secretOf(authorization);
    // Digests have one length, so the comparison takes as long for every wrong secret.
    return secret != null && MessageDigest.isEqual(tokenDigest, digest(secret));
  }

  private static String secretOf(String authorization) {
    if (authorization == null) {
      return null;
    }
    String value = authorization.strip();
    int space = value.indexOf(' ');
    if (space < 0) {
      return null;
    }
    String scheme = value.substring(0, space).toLowerCase(Locale.ROOT);
    String credentials = value.substring(space + 1).strip();
    if (scheme.equals("bearer")) {
      return credentials;
    }
    if (!scheme.equals("basic")) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
    int colon = decoded.indexOf(':');
    return colon < 0 ? null : decoded.substring(colon + 1); // any user name
  }

  private static byte[] digest(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
