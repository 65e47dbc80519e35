package io.possync.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code auth.mode=token}: capability URLs. The secret is a path segment of the
 * {@code sync_server} value ({@code https://host:8079/t/<secret>}; the POS appends its routes),
 * bound to one {@code (dbname, multi_session_id)}. Only its hash is stored.
 */
final class TokenAccess implements AccessControl {
  private static final Pattern TOKEN_PATH = Pattern.compile("/t/([A-Za-z0-9_-]{16,128})(/.*)");
  /** A revocation takes effect within this time. */
  static final Duration CACHE = Duration.ofSeconds(10);

  private final Function<String, Optional<AccessTokens.Binding>> lookup;
  private final Set<String> allowedDbnames;
  private final Cache<String, Optional<AccessTokens.Binding>> cache =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(CACHE).build();

  /**
   * @param lookup finds a token by the hash of its secret
   */
  TokenAccess(Function<String, Optional<AccessTokens.Binding>> lookup,
      Set<String> allowedDbnames) {
    this.lookup = lookup;
    this.allowedDbnames = allowedDbnames;
  }

  @Override
  public Admission admit(String path, String cookie) {
    Matcher m = TOKEN_PATH.matcher(path);
    if (!m.matches()) {
      throw Grant.denied("this server needs the sync_server address with its access token");
    }
    String hash = AccessTokens.hash(m.group(1));
    Optional<AccessTokens.Binding> token = cache.get(hash, lookup);
    if (token.isEmpty() || token.get().revoked()) {
      throw Grant.denied("unknown or revoked access token");
    }
    AccessTokens.Binding t = token.get();
    return new Admission(new Grant(t.dbname(), t.multiSessionId(), null, allowedDbnames),
        m.group(2));
  }
}
