/**
 * The long-polling bus: the {@link io.possync.bus.Bus} interface, global notification ids,
 * retention and parked polls, in memory for one node. Knows nothing of orders, the store or HTTP.
 */
package io.possync.bus;
