package io.possync.wire;

/**
 * The JSON text of a message as it is kept and sent: written once, and shared by every copy of a
 * broadcast. A broadcast's copies differ only in their {@code message_ID}; the text is held once
 * with a splice point where each copy's id goes ({@code before + id + after}), so a publication to
 * five terminals keeps and stores one body, not five (docs/architecture.md, "Hot state").
 */
public final class MessageBody {
  private final String before;
  /** Null when the body has no splice point: then {@link #before} is the whole text. */
  private final String after;
  /** How many notifications share this body (weighs each one's part of the heap). */
  private final int copies;

  private MessageBody(String before, String after, int copies) {
    this.before = before;
    this.after = after;
    this.copies = Math.max(1, copies);
  }

  /** A message sent once, with no per-copy id. */
  public static MessageBody whole(String json) {
    return new MessageBody(json, null, 1);
  }

  /**
   * A message sent as {@code copies} copies, each with its own id where {@code before} ends and
   * {@code after} begins.
   */
  public static MessageBody spliced(String before, String after, int copies) {
    return new MessageBody(before, after, copies);
  }

  /** Whether copies differ by an id spliced in. */
  public boolean spliced() {
    return after != null;
  }

  /** The text before the splice point, or the whole text. */
  public String before() {
    return before;
  }

  /** The text after the splice point; null when not {@link #spliced()}. */
  public String after() {
    return after;
  }

  /** The text of the copy carrying {@code messageId} (ignored when not spliced). */
  public String text(long messageId) {
    return after == null ? before : before + messageId + after;
  }

  /** Appends the copy carrying {@code messageId} to {@code sb}, without building it first. */
  public void appendTo(StringBuilder sb, long messageId) {
    sb.append(before);
    if (after != null) {
      sb.append(messageId).append(after);
    }
  }

  /** Chars of one copy's share of this body (the text counts once for all its copies). */
  long shareOfChars() {
    return ((long) before.length() + (after == null ? 0 : after.length())) / copies;
  }
}
