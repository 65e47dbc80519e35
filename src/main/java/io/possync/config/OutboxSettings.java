package io.possync.config;

import java.time.Duration;

/**
 * The Odoo write-back queue from {@code outbox.*}: retry back-off after a transport failure,
 * doubled each attempt from {@code retryMin} up to {@code retryMax}.
 */
public record OutboxSettings(Duration retryMin, Duration retryMax) {}
