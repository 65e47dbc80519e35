package io.possync.sync;

/** Identifies one multi-session: the Odoo database name the terminals send plus its id there. */
public record MultiSessionKey(String dbname, long multiSessionId) {}
