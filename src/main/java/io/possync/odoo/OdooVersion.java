package io.possync.odoo;

/**
 * The Odoo series a backend runs; it decides the shape of {@code create_from_ui}
 * (docs/odoo-backend.md §1.5, §2): 12.0 takes {@code [orders]} and answers new ids, 13.0 takes
 * {@code [orders, draft]} and answers {@code {id, pos_reference}} structs.
 */
public enum OdooVersion {
  V12("12.0"),
  V13("13.0");

  private final String series;

  OdooVersion(String series) {
    this.series = series;
  }

  /** The series as Odoo names it, e.g. {@code 13.0}. */
  public String series() {
    return series;
  }
}
