/**
 * The long-polling bus: channels, global notification ids, retention and parked polls. Knows
 * nothing of orders or HTTP.
 */
package io.possync.bus;
