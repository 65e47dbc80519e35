package io.possync.config;

import java.time.Duration;
import java.util.List;

/**
 * Who may use the POS listener and how much (issue "let no one in who doesn't belong").
 *
 * @param mode                  {@code auth.mode}
 * @param allowInsecure         allow mode {@code none} on a non-loopback address
 * @param allowedDbnames        the only POS dbnames served; empty for any
 * @param odooUrl               for {@code odoo-session}: the Odoo whose sessions are checked
 * @param sessionCache          how long a checked Odoo session is trusted before asking again
 * @param maxChannels           channels one poll may ask for
 * @param maxHeldPerAddress     polls held at once for one client address
 * @param maxLines              lines one order may carry
 * @param maxRequestsPerSecond  requests per second from one client address (0: no limit)
 * @param trustForwarded        take the client address from the proxy's Forwarded /
 *                              X-Forwarded-For header (only behind a proxy that sets it)
 */
public record AccessSettings(AuthMode mode, boolean allowInsecure, List<String> allowedDbnames,
    String odooUrl, Duration sessionCache, int maxChannels, int maxHeldPerAddress, int maxLines,
    int maxRequestsPerSecond, boolean trustForwarded) {}
