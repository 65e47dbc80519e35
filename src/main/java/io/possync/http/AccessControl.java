package io.possync.http;

/**
 * Decides who is let in (issue "let no one in who doesn't belong"): POS browsers send no
 * credentials cross-origin, so the modes use what an unmodified client can carry — a secret in
 * the {@code sync_server} path, or, same-origin, the Odoo session cookie.
 */
interface AccessControl {

  /** An admitted request: what it may touch, and its route path (without any token). */
  record Admission(Grant grant, String route) {}

  /**
   * @param path   the request path after the configured prefix
   * @param cookie the Cookie header, or null
   * @throws RpcException with a Forbidden error when the request is not let in
   */
  Admission admit(String path, String cookie);
}
