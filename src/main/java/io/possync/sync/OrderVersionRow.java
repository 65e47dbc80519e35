package io.possync.sync;

/**
 * An earlier accepted message of an order, as a cluster's store keeps it: the base a late update
 * is merged against. A node keeps these in memory ({@code OrderRecord}'s history); in a cluster
 * another node may have accepted them, so the store keeps the last ones too and a node that
 * reloads a multi-session merges exactly as the node that accepted them would have.
 *
 * @param message the message accepted at {@code revision}, as JSON text
 */
public record OrderVersionRow(OrderKey key, long revision, String message) {}
