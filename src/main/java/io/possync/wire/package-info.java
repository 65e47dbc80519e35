/**
 * What travels on the wire, and how the reference server's Python reads it: JSON text (written
 * once, lone surrogates escaped), Python's {@code int()}, truthiness and {@code ==}, typed bus
 * channels and the notification records the bus and the store share. Depends on nothing else of
 * PosSync.
 */
package io.possync.wire;
