package io.possync.config;

import java.time.Duration;

/**
 * The POS listener from {@code http.*} (its access rules are in {@link AccessSettings}).
 *
 * @param host         address to listen on ({@code http.host})
 * @param port         port to listen on, 0 for any free one ({@code http.port})
 * @param pathPrefix   empty, or {@code /something} without a trailing slash
 *                     ({@code http.path_prefix})
 * @param maxBodyBytes largest request body accepted ({@code http.max_body_bytes})
 * @param maxJsonDepth deepest JSON nesting accepted ({@code http.max_json_depth})
 * @param drain        on stop, how long polls are answered at once before the listener closes
 *                     ({@code http.drain})
 */
public record HttpSettings(String host, int port, String pathPrefix, int maxBodyBytes,
    int maxJsonDepth, Duration drain) {

  public HttpSettings withPort(int newPort) {
    return new HttpSettings(host, newPort, pathPrefix, maxBodyBytes, maxJsonDepth, drain);
  }
}
