package io.possync.config;

import java.time.Duration;
import java.util.List;

/**
 * The Odoo servers orders are written back to, from {@code odoo.*} (see docs/odoo.md).
 *
 * @param backends       one per {@code odoo.<name>.*}, by name; empty for no write-back
 * @param connectTimeout XML-RPC connect timeout ({@code odoo.connect_timeout})
 * @param replyTimeout   XML-RPC reply timeout ({@code odoo.reply_timeout})
 */
public record OdooSettings(List<OdooBackend> backends, Duration connectTimeout,
    Duration replyTimeout) {}
