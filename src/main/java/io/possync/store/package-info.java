/**
 * Durable state: the {@link io.possync.store.Store} interface, its embedded SQLite implementation
 * and the group-commit writer that makes every outcome durable before it is published.
 */
package io.possync.store;
