/**
 * The POS-facing HTTP side: Jetty core handlers (no servlet layer), the Odoo JSON-RPC envelope and
 * its errors, CORS and the three routes. Knows nothing of orders beyond handing typed parameters on.
 */
package io.possync.http;
