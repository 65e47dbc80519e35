/**
 * Durable state: the {@link io.possync.store.Store} interface and its embedded SQLite
 * implementation, split by concern (the database file, state tables, outbox, tokens, the write
 * probe). Writes what it is given in one transaction; publishing is the pipeline's business.
 */
package io.possync.store;
