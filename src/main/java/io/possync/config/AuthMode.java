package io.possync.config;

/** {@code auth.mode}: who may use the POS listener (see docs/security.md). */
public enum AuthMode {
  /** Anyone who reaches the listener: the original server's behaviour. */
  NONE("none"),
  /** Capability URLs, one secret per multi-session. */
  TOKEN("token"),
  /** The browser's Odoo session cookie, checked with Odoo ({@code auth.odoo_url}). */
  ODOO_SESSION("odoo-session");

  private final String value;

  AuthMode(String value) {
    this.value = value;
  }

  /** As written in the configuration (log lines and messages show this). */
  @Override
  public String toString() {
    return value;
  }
}
