package io.possync.config;

import java.time.Duration;

/**
 * Reconciliation from {@code reconcile.*}: whether to check, {@code delay} after an order was
 * finalized online, that Odoo has it.
 */
public record ReconcileSettings(boolean enabled, Duration delay) {}
