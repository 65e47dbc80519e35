package io.possync.odoo;

import io.possync.odoo.OdooFailure.Kind;
import java.util.Arrays;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an Odoo XML-RPC fault means for delivery (docs/odoo-backend.md §1.6 and §5): the faultCode
 * says which family of exception Odoo raised, and for code 1 the exception that ends the traceback
 * says which one.
 */
final class FaultClassifier {
  /** A classified fault: its kind and the text an operator is shown. */
  record Verdict(Kind kind, String message) {}

  private static final String TRACEBACK = "Traceback (most recent call last):";
  /** psycopg2 concurrency errors Odoo gave up retrying (§1.3 step 3, §5 row 18). */
  private static final Set<String> CONCURRENCY_ERRORS = Set.of("TransactionRollbackError",
      "SerializationFailure", "DeadlockDetected", "LockNotAvailable", "QueryCanceledError",
      "QueryCanceled");
  private static final Pattern MISSING_DATABASE =
      Pattern.compile("OperationalError: FATAL:\\s+database .* does not exist");

  private FaultClassifier() {}

  static Verdict classify(int code, String faultString) {
    return switch (code) {
      case 1 -> generic(faultString);
      case 2 -> faultString.contains("not fully loaded")
          // Raised while the registry loads or upgrades (§5 row 11): it passes.
          ? new Verdict(Kind.BUSY, "the Odoo database is still loading: " + faultString)
          : new Verdict(Kind.ORDER_REJECTED, PythonRepr.unwrapMessageTuple(faultString));
      case 3 -> new Verdict(Kind.AUTHENTICATION, faultString);
      case 4 -> new Verdict(Kind.ORDER_REJECTED, PythonRepr.unwrapMessageTuple(faultString));
      default -> new Verdict(Kind.MISCONFIGURED, "fault code " + code
          + " is not one Odoo's /xmlrpc/2 routes send: " + lastLine(faultString));
    };
  }

  /** Code 1: any other exception, with the formatted traceback as faultString. */
  private static Verdict generic(String faultString) {
    String exception = finalException(faultString);
    int colon = exception.indexOf(':');
    String type = colon < 0 ? exception : exception.substring(0, colon).strip();
    String simpleType = type.substring(type.lastIndexOf('.') + 1);
    boolean psycopg2 = type.startsWith("psycopg2");
    if (psycopg2 && MISSING_DATABASE.matcher(exception).find()) {
      return new Verdict(Kind.MISCONFIGURED, "the configured database does not exist on this"
          + " Odoo: " + exception);
    }
    if (psycopg2 && (CONCURRENCY_ERRORS.contains(simpleType)
        || simpleType.equals("OperationalError"))) {
      // Odoo already retried 5 times; another go later usually passes. An OperationalError
      // other than a missing database (lock timeout, PostgreSQL restarting, too many clients)
      // is on Odoo's side and passes the same way.
      return new Verdict(Kind.BUSY, "the Odoo database is busy: " + exception);
    }
    if (colon < 0) {
      return new Verdict(Kind.ORDER_REJECTED, exception);
    }
    return new Verdict(Kind.ORDER_REJECTED, type + ": "
        + PythonRepr.unwrapMessageTuple(exception.substring(colon + 1).strip()));
  }

  /**
   * The exception a Python traceback ends with: the first unindented line after the last
   * "Traceback" header's frames, with the lines that continue its message. This is the
   * "last line" of docs/odoo-backend.md §5 for one-line exceptions, and also holds for psycopg2
   * errors whose message goes on with DETAIL and HINT lines. The traceback before a "During
   * handling of the above exception" is thereby skipped. Without a traceback: the last non-empty line.
   */
  static String finalException(String faultString) {
    String[] lines = faultString.split("\r?\n", -1);
    int header = -1;
    for (int i = lines.length - 1; i >= 0; i--) {
      if (lines[i].strip().equals(TRACEBACK)) {
        header = i;
        break;
      }
    }
    if (header >= 0) {
      int i = header + 1;
      while (i < lines.length
          && (lines[i].isBlank() || Character.isWhitespace(lines[i].charAt(0)))) {
        i++; // the frames: "  File ...", the source line, 3.11's carets
      }
      if (i < lines.length) {
        return String.join("\n", Arrays.asList(lines).subList(i, lines.length)).strip();
      }
    }
    return lastLine(faultString);
  }

  static String lastLine(String text) {
    String[] lines = text.split("\r?\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      if (!lines[i].isBlank()) {
        return lines[i].strip();
      }
    }
    return text.strip();
  }
}
