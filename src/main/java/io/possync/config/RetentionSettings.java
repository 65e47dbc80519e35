package io.possync.config;

import java.time.Duration;

/**
 * How long things are kept, from {@code retention.*} (see docs/protocol-decisions.md, D4).
 *
 * @param notifications     how long a notification stays pollable
 * @param notificationBytes most memory retained notifications may take
 * @param orders            how long deleted and unpaid orders of an ended run are kept
 */
public record RetentionSettings(Duration notifications, long notificationBytes,
    Duration orders) {

  /** Odoo's bus keeps notifications 100 s; clients rely on at least that much. */
  public static final Duration MIN_NOTIFICATIONS = Duration.ofSeconds(100);
}
