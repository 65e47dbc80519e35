package io.possync.wire;

/**
 * A notification waiting for its id: the channel (canonical text), its message body and, when the
 * body is a broadcast's shared one, this copy's {@code message_ID}.
 */
public record Outgoing(String channel, MessageBody body, long messageId) {
  /** A message of its own for a typed channel. */
  public Outgoing(Channel channel, String messageJson) {
    this(channel.text(), MessageBody.whole(messageJson), 0);
  }

  /** A message of its own for a channel given as its canonical text. */
  public Outgoing(String channel, String messageJson) {
    this(channel, MessageBody.whole(messageJson), 0);
  }

  /** The message's JSON text for this copy. */
  public String messageJson() {
    return body.text(messageId);
  }
}
