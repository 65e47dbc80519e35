package io.possync.wire;

/**
 * A notification waiting for its id: the channel and the message already serialized as JSON text.
 */
public record Outgoing(String channel, String messageJson) {
  /** A message for a typed channel, held as its canonical text. */
  public Outgoing(Channel channel, String messageJson) {
    this(channel.text(), messageJson);
  }
}
