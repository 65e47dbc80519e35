package io.possync.odoo;

import java.net.URI;

/**
 * One Odoo backend as configured ({@code odoo.<name>.*}).
 *
 * @param name      the configuration name, for logs and the CLI
 * @param url       base URL of the Odoo server, final (redirects are not followed), e.g.
 *                  {@code https://odoo.example.com}
 * @param database  the Odoo database
 * @param login     the login of the user PosSync writes orders as
 * @param password  that user's password; never logged
 * @param posDbname the {@code dbname} the POS terminals send for this backend
 */
public record OdooConnection(String name, URI url, String database, String login,
    String password, String posDbname) {

  @Override
  public String toString() {
    // The password stays out of every log line and exception message.
    return "OdooConnection[" + name + " " + url + " db=" + database + " login=" + login + "]";
  }
}
