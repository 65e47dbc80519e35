/**
 * Writes finalized orders back to Odoo over XML-RPC: the hardened client, the outbox worker that
 * delivers paid-offline orders exactly once in effect, and reconciliation of online orders.
 */
package io.possync.odoo;
