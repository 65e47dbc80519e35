package io.possync.bus;

/**
 * A notification waiting for its id: the channel and the message already serialized as JSON text.
 */
public record Outgoing(String channel, String messageJson) {}
