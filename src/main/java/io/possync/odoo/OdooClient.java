package io.possync.odoo;

import com.google.gson.JsonObject;
import java.util.List;

/**
 * The few Odoo calls PosSync makes, on {@code /xmlrpc/2/common} and {@code /xmlrpc/2/object} only
 * (docs/odoo-backend.md §1). One instance talks to one {@link OdooConnection}; it is thread-safe.
 */
public interface OdooClient {

  /** {@code common.version()}: which series the backend runs. */
  OdooVersion version() throws OdooFailure;

  /**
   * {@code common.authenticate(db, login, password, {})}: the uid.
   *
   * @throws OdooFailure of kind {@link OdooFailure.Kind#AUTHENTICATION} when Odoo answers False
   */
  int authenticate() throws OdooFailure;

  /**
   * {@code pos.order.create_from_ui} for one order, in the shape of {@code version}.
   *
   * @param paidOrder the POS's paid-order wrapper {@code {"id": uid, "data": {...}, ...}} exactly as
   *                  the terminal sent it in {@code order_data}; converted for XML-RPC here (dates,
   *                  nulls, {@code server_id}, {@code to_invoice}, docs/odoo-backend.md §2.3–2.5)
   * @return ids of the orders Odoo created: empty when Odoo already had one with that name
   */
  List<Integer> createFromUi(int uid, OdooVersion version, JsonObject paidOrder)
      throws OdooFailure;

  /** {@code pos.order.search_read} by {@code pos_reference}: the orders with that name. */
  List<FoundOrder> findByReference(int uid, String posReference) throws OdooFailure;
}
