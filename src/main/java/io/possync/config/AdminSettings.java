package io.possync.config;

import java.time.Duration;

/**
 * The admin listener: status page, {@code /api/status}, {@code /metrics} and the health probes,
 * on an address of their own so that the POS port never serves them.
 *
 * @param host         address to listen on ({@code admin.host})
 * @param port         port to listen on, 0 for any free one ({@code admin.port})
 * @param token        secret that opens the status page, the API and the metrics; empty for none,
 *                     which is allowed on a loopback address only ({@code admin.token})
 * @param offlineAfter a terminal that has not polled for this long is shown offline
 *                     ({@code admin.offline_after})
 */
public record AdminSettings(String host, int port, String token, Duration offlineAfter) {
  /** Shortest token accepted: guessing one must be hopeless, not merely slow. */
  public static final int MIN_TOKEN_LENGTH = 16;

  public boolean hasToken() {
    return !token.isEmpty();
  }

  /** Never prints the token (settings end up in logs and assertion messages). */
  @Override
  public String toString() {
    return "AdminSettings[host=" + host + ", port=" + port + ", token="
        + (hasToken() ? "(set)" : "(none)") + ", offlineAfter=" + offlineAfter + "]";
  }
}
