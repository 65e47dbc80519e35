package io.possync.sync;

/** Identifies one POS config (all devices running it share it) within one Odoo database. */
public record TerminalKey(String dbname, long posId) {}
