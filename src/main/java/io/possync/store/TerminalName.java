package io.possync.store;

/**
 * How Odoo names a terminal, as its orders carry it in {@code ms_info} ({@code pos.config.name}
 * and the cashier's name, from the order's {@code changed} or else {@code created} entry).
 *
 * @param cashier the name of the cashier (or user) who last created or changed an order there
 */
public record TerminalName(String dbname, long posId, String posName, String cashier) {}
