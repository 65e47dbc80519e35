package io.possync.odoo;

/**
 * Reads back the Python {@code repr} Odoo puts in some faults: {@code str(e)} of an
 * {@code except_orm} whose args are {@code (message, None)} is the tuple's repr, quotes, escaped
 * newlines and all (docs/odoo-backend.md §1.5, AccessError and MissingError).
 */
final class PythonRepr {
  private PythonRepr() {}

  /**
   * The message inside {@code ('message', None)}, unescaped; any other text is returned as it is.
   */
  static String unwrapMessageTuple(String s) {
    String t = s.strip();
    if (t.length() < 10 || !t.startsWith("(") || !t.endsWith(", None)")) {
      return s;
    }
    char quote = t.charAt(1);
    if (quote != '\'' && quote != '"') {
      return s;
    }
    StringBuilder out = new StringBuilder(t.length());
    int end = t.length() - ", None)".length();
    int i = 2;
    while (i < end) {
      char c = t.charAt(i);
      if (c == quote) {
        return i == end - 1 ? out.toString() : s; // the closing quote must end the literal
      }
      if (c != '\\') {
        out.append(c);
        i++;
        continue;
      }
      if (i + 1 >= end) {
        return s;
      }
      char e = t.charAt(i + 1);
      int consumed = 2;
      switch (e) {
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'r' -> out.append('\r');
        case '\\', '\'', '"' -> out.append(e);
        case 'x', 'u', 'U' -> {
          int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + 2 + digits > end) {
            return s;
          }
          try {
            out.appendCodePoint(Integer.parseInt(t.substring(i + 2, i + 2 + digits), 16));
          } catch (IllegalArgumentException bad) {
            return s;
          }
          consumed += digits;
        }
        default -> out.append(c).append(e);
      }
      i += consumed;
    }
    return s;
  }
}
