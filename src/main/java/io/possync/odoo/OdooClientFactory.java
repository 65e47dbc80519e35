package io.possync.odoo;

import java.time.Duration;

/** Makes the client for one configured backend. */
@FunctionalInterface
public interface OdooClientFactory {
  OdooClient create(OdooConnection connection, Duration connectTimeout, Duration replyTimeout);
}
