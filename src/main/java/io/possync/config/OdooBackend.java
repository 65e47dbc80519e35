package io.possync.config;

/**
 * One Odoo backend from {@code odoo.<name>.*}. The password itself is not here: only where to read
 * it ({@code password_env} or {@code password_file}), so it never sits in the config file.
 *
 * @param posDbname the {@code dbname} the POS terminals send; defaults to {@code database}
 */
public record OdooBackend(String name, String url, String database, String login,
    String passwordEnv, String passwordFile, String posDbname) {}
