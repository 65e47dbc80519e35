/**
 * The Odoo write-back outbox as values: the entries a decision queues, how they stand, and the
 * pauses. A leaf: it knows nothing of SQLite, of Odoo or of the multi-session rules, which all
 * use it.
 */
package io.possync.outbox;
